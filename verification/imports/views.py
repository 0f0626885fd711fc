"""Clinic staff: upload a log, follow the import, download its error report; the review queue."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from records.normalize import mask_id, mask_phone
from vaxrecon.access import role_required, scope_for
from vaxrecon.errors import InvalidInput
from vaxrecon.spreadsheets import attachment, csv_lines, xlsx_file
from verification.imports.files import REPORT_COLUMNS, VIETNAMESE_COLUMNS
from verification.imports.forms import AcceptForm, NewCitizenForm, RegistrySearchForm, RejectForm, UploadForm
from verification.imports.review_selectors import queue_texts, review_page, search_results
from verification.imports.reviews import (
    missing_for_citizen,
    review_accept,
    review_create_citizen,
    review_reject,
)
from verification.imports.selectors import (
    job_in_scope,
    job_landed,
    jobs_in_scope,
    review_in_scope,
)
from verification.imports.selectors import (
    review_queue as review_queue_selector,
)
from verification.imports.services import import_job_create, import_job_resume
from verification.models import ImportJob

clinic_only = role_required(Role.CLINIC_STAFF)
PAGE_SIZE = 25
TEMPLATE_FORMATS = {"csv": "text/csv; charset=utf-8",
                    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@clinic_only
def import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    """An empty log to fill in: the import's columns, named in Vietnamese (the importer reads
    those names as well as the English ones) unless the page is in English."""
    english = get_language() == "en"
    header = list(REPORT_COLUMNS) if english else [VIETNAMESE_COLUMNS[c] for c in REPORT_COLUMNS]
    name = "vaxrecon-import-template" + ("" if english else "-vi") + "." + fmt
    body = csv_lines([header]) if fmt == "csv" else xlsx_file([header], title="VaxRecon")
    response = FileResponse(body) if fmt == "xlsx" else HttpResponse(b"".join(body))
    response["Content-Type"] = TEMPLATE_FORMATS[fmt]
    return attachment(response, name)


@clinic_only
def import_upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(actor=request.user, upload=form.cleaned_data["file"])
        except InvalidInput as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("verification:import_job", pk=job.pk)
    jobs = jobs_in_scope(scope=scope_for(request.user)).select_related("uploaded_by")[:10]
    return render(request, "verification/imports/upload.html", {"form": form, "jobs": jobs})


def _job_context(job: ImportJob) -> dict:
    finished = job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)
    percent = 100 if finished else (int(job.processed_rows * 100 / job.total_rows) if job.total_rows else 0)
    # What landed, from the ledger: exact even when the worker was killed between a batch and
    # the counters' update (read once the job has stopped; the counters show a running one).
    landed = job_landed(job=job) if finished else None
    return {"job": job, "finished": finished, "percent": percent, "landed": landed}


@clinic_only
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_in_scope(scope=scope_for(request.user), pk=pk)
    return render(request, "verification/imports/job.html", _job_context(job))


@clinic_only
def import_job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment htmx polls; once finished it renders the counts and stops polling."""
    job = job_in_scope(scope=scope_for(request.user), pk=pk)
    return render(request, "verification/imports/_progress.html", _job_context(job))


@clinic_only
@require_POST
def import_resume(request: HttpRequest, pk: int) -> HttpResponse:
    """Resume an import its worker lost: only the rows not landed yet are imported."""
    job = import_job_resume(actor=request.user, job_id=pk)
    messages.success(request, _("The import is queued again: only the rows not landed yet will be imported."))
    return redirect("verification:import_job", pk=job.pk)


@clinic_only
def import_error_report(request: HttpRequest, pk: int) -> FileResponse:
    job = job_in_scope(scope=scope_for(request.user), pk=pk)
    if not job.error_report:
        raise Http404(_("This import has no error report."))
    return FileResponse(job.error_report.open("rb"), as_attachment=True,
                        filename=f"import-{job.pk}-errors.csv",
                        content_type="text/csv")


@clinic_only
def review_queue(request: HttpRequest) -> HttpResponse:
    reviews = review_queue_selector(scope=scope_for(request.user))
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(r, mask_id(r.record.get("id_number")), mask_phone(r.record.get("phone")), queue_texts(r.record))
            for r in page.object_list]
    return render(request, "verification/imports/review_queue.html", {"page": page, "rows": rows})


def _review_page(request: HttpRequest, review, *, search_data=None, new_citizen_form=None,
                 accept_error=None, status: int = 200) -> HttpResponse:
    """The review page; `search_data` (POSTed, so no CCCD or phone lands in a URL or a log) runs
    the registry search; `accept_error` = (citizen id, message) puts a refused choice's reason
    beside that citizen."""
    page = review_page(review)
    search = RegistrySearchForm(search_data)
    terms = search.terms() if search.is_bound and search.is_valid() and search.has_terms() else None
    return render(request, "verification/imports/review.html", {
        "review": review, "page": page, "search_form": search, "search_terms": terms,
        "found": search_results(review, terms, page.record) if terms else None,
        "accept_error": accept_error, "reject_form": RejectForm(),
        "new_citizen_form": new_citizen_form or NewCitizenForm(missing=missing_for_citizen(review.record))},
        status=status)


@clinic_only
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_in_scope(scope=scope_for(request.user), pk=pk)
    return _review_page(request, review)


def _accept(request: HttpRequest, review) -> HttpResponse | None:
    """Accept the chosen candidate; the page again (400) with the refusal beside it, else None."""
    form = AcceptForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(_("Choose one of the candidates listed for this record."), field="citizen_id")
    data = form.cleaned_data
    try:
        review_accept(review=review, actor=request.user, citizen_id=data["citizen_id"],
                      search=form.terms() if form.has_terms() else None,
                      confirmed=data["confirm"], reason=data["reason"])
    except InvalidInput as exc:
        return _review_page(request, review, search_data=request.POST if form.has_terms() else None,
                            accept_error=(data["citizen_id"], exc.message), status=400)
    messages.success(request, _("The dose was added to the chosen citizen."))
    return None


@clinic_only
@require_POST
def review_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    review = review_in_scope(scope=scope_for(request.user), pk=pk)
    if action == "search":
        return _review_page(request, review, search_data=request.POST)
    if action == "accept":
        refused = _accept(request, review)
        if refused is not None:
            return refused
    elif action == "new-citizen":
        form = NewCitizenForm(request.POST, missing=missing_for_citizen(review.record))
        if form.is_valid():
            try:
                review_create_citizen(review=review, actor=request.user,
                                      sex=form.cleaned_data.get("sex") or "",
                                      date_of_birth=form.cleaned_data.get("date_of_birth"))
            except InvalidInput as exc:
                if exc.field not in form.fields:
                    raise
                form.add_error(exc.field, exc.message)
        if form.errors:  # the page again, with what to supply
            return _review_page(request, review, new_citizen_form=form, status=400)
        messages.success(request, _("A new citizen was created with this dose."))
    elif action == "reject":
        form = RejectForm(request.POST)
        review_reject(review=review, actor=request.user, note=form.data.get("note", ""))
        messages.success(request, _("The record was rejected."))
    else:
        raise Http404()
    return redirect("verification:review_queue")
