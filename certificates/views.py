"""Public pages of the room: the verifier, the signed trust list and revocation list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role
from certificates import pdf, publication, qr, scan, selectors, services
from certificates.forms import VerifyForm
from certificates.verify import Verdict, verify_hc1
from records.models import Province
from vaxrecon.access import rate_limited, role_required, scope_for
from vaxrecon.errors import DomainError

# The central issuer: a province's designated central signer (5772/QĐ-BYT), acting in its province.
ISSUERS = (Role.PROVINCIAL_OFFICER,)


@require_GET
@cache_control(public=True, max_age=300)
def trust_list(request):
    """The DSCs of Vietnam's certificates, signed by the CSCA."""
    return JsonResponse(publication.published_trust_list(), json_dumps_params={"ensure_ascii": False})


@require_GET
@cache_control(public=True, max_age=300)
def revocations(request):
    """The revoked certificates by the EU revocation hash types, signed by the CSCA."""
    return JsonResponse(publication.published_revocations())


CAMERA_LIBRARY = "vendor/jsqr/dist/jsQR.js"  # npm package jsqr (package.json)


def camera_library_url() -> str | None:
    """The QR decoder's static URL, or None when the npm package is not installed (the page then
    offers paste and upload only: a missing file must not break it)."""
    if finders.find(CAMERA_LIBRARY) or staticfiles_storage.exists(CAMERA_LIBRARY):
        return staticfiles_storage.url(CAMERA_LIBRARY)
    return None


def _shown(dcc: dict) -> dict:
    """What the verifier shows: the name, the date of birth, the dose; nothing else."""
    nam, dose = dcc.get("nam") or {}, (dcc.get("v") or [{}])[0]
    return {"name": " ".join(filter(None, [nam.get("fn"), nam.get("gn")])),
            "name_icao": "<<".join(filter(None, [nam.get("fnt"), nam.get("gnt")])),
            "dob": dcc.get("dob", ""), "dose": dose.get("dn"), "doses": dose.get("sd"),
            "date": dose.get("dt", ""), "vaccine": selectors.vaccine_name(dose.get("mp", "")),
            "country": dose.get("co", "")}


@require_http_methods(["GET", "POST"])
@rate_limited("lookup")
def verifier(request: HttpRequest) -> HttpResponse:
    """Paste an ``HC1:`` text or upload a photo of the QR: the verdict, then name, birth date and dose."""
    posted = request.method == "POST"
    form = VerifyForm(request.POST if posted else None, request.FILES if posted else None)
    context: dict = {"form": form, "camera_library": camera_library_url()}
    if posted and form.is_valid():
        text = form.cleaned_data["hc1"].strip()
        if not text and form.cleaned_data["image"]:
            text = scan.qr_text(form.cleaned_data["image"]) or ""
            if not text:
                form.add_error("image", _("No QR code could be read in this photo."))
        if text:
            result = verify_hc1(text)
            context |= {"result": result, "ok": result.verdict is Verdict.VALID,
                        "shown": _shown(result.dcc) if result.dcc else None}
    status = 400 if posted and form.errors else 200
    return render(request, "certificates/verify.html", context, status=status)


@role_required(*ISSUERS)
@require_GET
def citizen_certificates(request: HttpRequest, pk: int) -> HttpResponse:
    """A citizen's certificates (current, replaced, revoked) and the button to issue."""
    citizen = selectors.citizen_in_scope(user=request.user, pk=pk)
    return render(request, "certificates/citizen.html", {
        "citizen": citizen, "certificates": selectors.certificates_of(citizen=citizen),
        "current": selectors.current_certificate(citizen=citizen)})


@role_required(*ISSUERS)
@require_http_methods(["POST"])
def issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue (or find again) the citizen's certificate; back to their page with what happened."""
    citizen = selectors.citizen_in_scope(user=request.user, pk=pk)
    try:
        outcome = services.certificate_issue(citizen=citizen, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        said = (_("Certificate issued: %(uvci)s") % {"uvci": outcome.certificate.uvci} if outcome.created
                else _("The doses have not changed: the certificate stays the same."))
        messages.success(request, said)
    return redirect("certificates:citizen", pk=citizen.pk)


@role_required(*ISSUERS)
@require_http_methods(["GET", "POST"])
def bulk_issue(request: HttpRequest) -> HttpResponse:
    """Issue for everyone ready in the officer's province, in a Celery worker; the progress bar polls."""
    province = Province.objects.get(pk=scope_for(request.user).province_id)
    if request.method == "POST":
        try:
            services.issue_run_start(actor=request.user, province=province)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The bulk issue is queued."))
            return redirect("certificates:bulk")
    runs = selectors.issue_runs_of(user=request.user)
    return render(request, "certificates/bulk.html", {"province": province, "runs": runs,
                                                      "run": runs[0] if runs else None})


@role_required(*ISSUERS)
@require_GET
def bulk_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block of a bulk issue, polled by htmx until it is finished."""
    return render(request, "certificates/_bulk_progress.html",
                  {"run": selectors.issue_run_in_scope(user=request.user, pk=pk)})


def _current(request: HttpRequest, pk: int):
    citizen = selectors.citizen_in_scope(user=request.user, pk=pk)
    cert = selectors.current_certificate(citizen=citizen)
    if cert is None:
        raise Http404(_("This citizen has no current certificate."))
    return cert


def png_response(cert) -> HttpResponse:
    """The certificate's QR code as a PNG, never cached by a shared cache."""
    response = HttpResponse(qr.qr_png(cert.hc1, scale=6), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_response(request: HttpRequest, cert) -> HttpResponse:
    """The certificate as a PDF: ``?size=a4`` (default) or ``a6``, ``?lang=`` the labels printed
    first (the page's language unless told); an unknown size or language is a 404."""
    size = request.GET.get("size", "a4")
    lang = request.GET.get("lang") or (translation.get_language() or "vi")[:2]
    if size not in pdf.SIZES or lang not in pdf.LANGUAGES:
        raise Http404(_("Unknown page size or language."))
    response = HttpResponse(pdf.certificate_pdf(cert, size=size, lang=lang), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{size}-{lang}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(*ISSUERS)
@require_GET
def certificate_png(request: HttpRequest, pk: int) -> HttpResponse:
    """The current certificate's QR code as a PNG."""
    return png_response(_current(request, pk))


@role_required(*ISSUERS)
@require_GET
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The current certificate as a PDF, A4 (default) or A6 (``?size=a6``)."""
    return pdf_response(request, _current(request, pk))
