"""The citizen's own certificate, no account: proven by a one-time code to the phone on record.

Two ways in: from the public status page of a request (its details unlocked by a code to the
reporting phone), or by CCCD number and date of birth, then a code sent to the citizen's phone on
record. Either grants the session the citizen's certificate for 30 minutes; the downloads name a
certificate by id and answer 404 for any certificate not granted to this session.
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from certificates import selectors
from certificates.forms import HolderLookupForm
from certificates.views import pdf_response, png_response
from records.models import Citizen
from vaxrecon.access import rate_limited
from vaxrecon.errors import DomainError
from verification.forms import CodeForm
from verification.models import OneTimeCode
from verification.selectors import case_by_tracking_code
from verification.services.otp import otp_send, otp_verify
from verification.views.public import case_unlocked

GRANTED_KEY = "certificate_holders"
PENDING_KEY = "certificate_pending"
GRANT_SECONDS = 30 * 60
PURPOSE = OneTimeCode.Purpose.VIEW_CERTIFICATE


def _granted(request: HttpRequest) -> list[int]:
    now = time.time()
    return [int(pk) for pk, until in request.session.get(GRANTED_KEY, {}).items() if until > now]


def _grant(request: HttpRequest, citizen_id: int) -> None:
    now = time.time()
    granted = {k: v for k, v in request.session.get(GRANTED_KEY, {}).items() if v > now}
    granted[str(citizen_id)] = now + GRANT_SECONDS
    request.session[GRANTED_KEY] = granted


def _pending(request: HttpRequest) -> Citizen | None:
    pk = request.session.get(PENDING_KEY)
    return Citizen.objects.filter(pk=pk).first() if pk else None


def _send_code(request: HttpRequest, form: HolderLookupForm) -> bool:
    """Send the code for the citizen the form names; False (the form told why) when none is sent."""
    citizen = selectors.citizen_by_identity(cccd=form.cleaned_data["cccd"],
                                            birth=form.cleaned_data["date_of_birth"])
    if citizen is None:
        form.add_error(None, _("No person on record has this CCCD number and date of birth."))
        return False
    if not citizen.phone:
        form.add_error(None, _("No phone number is on record for this person: ask the commune health "
                               "station to add it."))
        return False
    try:
        otp_send(phone=citizen.phone, purpose=PURPOSE)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return False
    request.session[PENDING_KEY] = citizen.pk
    messages.success(request, _("A code was sent to %(phone)s.") % {"phone": citizen.masked_phone})
    return True


@require_http_methods(["GET", "POST"])
@rate_limited("code")
def lookup(request: HttpRequest) -> HttpResponse:
    """CCCD number and date of birth; a code goes to the phone on record; the code opens the certificate."""
    form = HolderLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _send_code(request, form):
        return redirect("certificates:mine_lookup")
    pending = _pending(request)
    status = 400 if request.method == "POST" else 200
    return render(request, "certificates/holder_lookup.html", {
        "form": form, "code_form": CodeForm() if pending else None,
        "pending_phone": pending.masked_phone if pending else ""}, status=status)


@require_POST
@rate_limited("code")
def lookup_code(request: HttpRequest) -> HttpResponse:
    """Check the code typed for the person found by ``lookup``."""
    citizen, form = _pending(request), CodeForm(request.POST)
    if citizen is None:
        messages.error(request, _("Type your CCCD number and date of birth first."))
        return redirect("certificates:mine_lookup")
    if not form.is_valid():
        messages.error(request, _("Type the 6 digits of the code."))
        return redirect("certificates:mine_lookup")
    try:
        otp_verify(phone=citizen.phone, purpose=PURPOSE, code=form.cleaned_data["code"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("certificates:mine_lookup")
    request.session.pop(PENDING_KEY, None)
    _grant(request, citizen.pk)
    return redirect("certificates:mine")


@require_GET
@rate_limited("lookup", counts=lambda request: True)
def from_case(request: HttpRequest, code: str) -> HttpResponse:
    """From a request's status page: its details unlocked by a code, the citizen's certificate opens."""
    case = case_by_tracking_code(code)
    if case is None:
        raise Http404(_("No request has this tracking code."))
    if not case_unlocked(request, case):
        messages.error(request, _("Confirm with the code sent to your phone first."))
        return redirect("verification:status", code=case.tracking_code)
    if case.citizen_id:
        _grant(request, case.citizen_id)
    return redirect("certificates:mine")


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The certificates this session was granted: QR, PDF (A4, A6; Vietnamese or English first), PNG."""
    granted = _granted(request)
    if not granted:
        return redirect("certificates:mine_lookup")
    return render(request, "certificates/holder.html",
                  {"certificates": selectors.holder_certificates(citizen_ids=granted)})


@require_GET
def mine_png(request: HttpRequest, pk: int) -> HttpResponse:
    return png_response(selectors.holder_certificate(citizen_ids=_granted(request), pk=pk))


@require_GET
def mine_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return pdf_response(request, selectors.holder_certificate(citizen_ids=_granted(request), pk=pk))
