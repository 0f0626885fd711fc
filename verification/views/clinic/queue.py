"""The clinic's queue: the cases its facility answers for, filtered, sorted, with their clocks."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Role
from vaxrecon.access import role_required, scope_for
from verification import workflow
from verification.forms import QueueFilterForm
from verification.selectors import QUEUE_OVERDUE_FIRST, case_queue

PAGE_SIZE = 25
clinic_only = role_required(Role.CLINIC_STAFF)


def deadline_info(case, now) -> dict:
    """The 48-hour clock as the queue shows it: hours left or overdue while the clinic holds
    the case; otherwise stopped, with whom the case waits on ("" once no one has to act)."""
    running = case.status in workflow.CLOCK_STATES
    seconds = (case.deadline_at - now).total_seconds()
    return {"running": running, "overdue": running and seconds < 0,
            "waiting_on": "" if running else workflow.WAITING_ON.get(case.status, ""),
            "hours": int(abs(seconds) // 3600), "minutes": int(abs(seconds) % 3600 // 60)}


@clinic_only
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    cases = case_queue(scope=scope_for(request.user), status=filters.get("status", ""),
                       submitted_from=filters.get("submitted_from"), submitted_to=filters.get("submitted_to"),
                       search=filters.get("q", ""), sort=filters.get("sort", ""))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(case, deadline_info(case, now)) for case in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "verification/clinic/queue.html",
                  {"form": form, "page": page, "rows": rows, "query": query.urlencode(),
                   "overdue_first": filters.get("sort") == QUEUE_OVERDUE_FIRST})
