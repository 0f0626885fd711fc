"""Signer pages: records awaiting signature, batch progress, certificates, record checks."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from signing import selectors, services
from signing.errors import CertificateLocked, SigningError
from signing.forms import Pkcs12UploadForm, ResumeForm, SignForm
from signing.models import Signature
from vaxrecon.access import role_required, scope_for
from vaxrecon.errors import DomainError, NotFoundInScope

PAGE_SIZE = 100
signers_only = role_required(Role.SIGNER, Role.PROVINCIAL_OFFICER)
checkers = role_required(Role.SIGNER, Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST, Role.CLINIC_STAFF)


def _certificates_context(user) -> dict:
    certificates = list(selectors.certificates_of(user=user))
    days = settings.SIGNING_EXPIRY_WARNING_DAYS
    now = timezone.now()
    for cert in certificates:
        cert.expiring = not cert.is_expired and cert.expires_within(days, now=now)
        cert.days_left = max(0, (cert.not_after - now).days)
        cert.words = selectors.certificate_words(cert)
    return {"certificates": certificates, "warning_days": days}


@signers_only
def batch(request: HttpRequest) -> HttpResponse:
    """The records awaiting this signer, and the form to sign some or all with one entry."""
    scope = scope_for(request.user)
    page = selectors.awaiting_signature_page(scope=scope, number=request.GET.get("page"), per_page=PAGE_SIZE)
    usable = selectors.certificates_of(user=request.user, usable_only=True)
    form = SignForm(request.POST or None, certificates=usable, record_ids=[r.pk for r in page])
    locked = None
    if request.method == "POST" and form.is_valid():
        try:
            signing = services.signing_start(
                user=request.user, certificate_id=form.cleaned_data["certificate"].pk,
                record_ids=form.cleaned_data["records"], secret=form.cleaned_data["secret"],
                select_all=form.cleaned_data["select_all"])
        except DomainError as exc:
            form.add_error(None, exc.message)
            locked = exc if isinstance(exc, CertificateLocked) else None
        else:
            return redirect("signing:batch_detail", pk=signing.pk)
    context = {"page": page, "total": page.paginator.count, "form": form,
               "batches": selectors.batches_of(user=request.user)[:5],
               "sync_limit": settings.SIGNING_SYNC_LIMIT, **_certificates_context(request.user)}
    response = render(request, "signing/batch.html", context, status=400 if form.errors else 200)
    if locked is not None:  # the certificate is locked after wrong passphrases: say until when
        response.status_code, response["Retry-After"] = locked.status_code, str(locked.retry_after)
    return response


def _own_batch(request, pk):
    signing = selectors.batches_of(user=request.user).filter(pk=pk).first()
    if signing is None:
        raise Http404
    return signing


@signers_only
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "signing/batch_detail.html", {"batch": _own_batch(request, pk),
                                                         "resume_form": ResumeForm()})


@signers_only
@require_POST
def batch_resume(request: HttpRequest, pk: int) -> HttpResponse:
    """Resume a batch its worker lost, with the passphrase/PIN again: only the records it has
    not signed yet are signed."""
    signing = _own_batch(request, pk)
    form = ResumeForm(request.POST)
    if form.is_valid():
        try:
            services.signing_batch_resume_start(user=request.user, batch_id=signing.pk,
                                                secret=form.cleaned_data["secret"])
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The batch is queued again: only the records not signed yet "
                                        "will be signed."))
            return redirect("signing:batch_detail", pk=signing.pk)
    return render(request, "signing/batch_detail.html", {"batch": signing, "resume_form": form}, status=400)


@signers_only
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block, polled by htmx until the batch is finished."""
    return render(request, "signing/_progress.html", {"batch": _own_batch(request, pk)})


@signers_only
def certificates(request: HttpRequest) -> HttpResponse:
    """The signer's certificates (with expiry warnings), and registering a PKCS#12 file."""
    form = Pkcs12UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            registered = services.signer_certificate_import_pkcs12(
                user=request.user, data=form.cleaned_data["file"].read(),
                passphrase=form.cleaned_data["passphrase"], actor=request.user)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Certificate registered: %(subject)s")
                             % {"subject": registered.subject})
            return redirect("signing:certificates")
    return render(request, "signing/certificates.html", {"form": form, **_certificates_context(request.user)},
                  status=400 if form.errors else 200)


@checkers
def record_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Chain, validity, revocation and tamper results for every signature of a record.

    JSON with ``?format=json`` (or an Accept: application/json request), else a page.
    """
    record = selectors.record_for_check(scope=scope_for(request.user), pk=pk)
    signatures = (Signature.objects.filter(record=record).select_related("certificate", "signed_by")
                  .order_by("id"))
    reports = list(services.signatures_verify(signatures))
    data = {"record": record.pk, "version": record.version, "status": record.status,
            "ok": bool(reports) and all(r.ok for r in reports), "signatures": [r.as_dict() for r in reports]}
    if request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(data)
    # The certificate in words (holder, issuer, serial), as the signer's own pages show it.
    words = {s.pk: selectors.certificate_words(s.certificate) for s in signatures}
    rows = [(report, words[report.signature_id]) for report in reports]
    return render(request, "signing/check.html", {"record": record, "reports": reports, "rows": rows,
                                                  "data": data})


@checkers
def signed_records(request: HttpRequest) -> HttpResponse:
    """Signed records of the scope with their signatures, newest first; a record number typed
    in the box opens its signature check (when the scope may check it)."""
    scope = scope_for(request.user)
    wanted = (request.GET.get("record") or "").strip().lstrip("#")
    if wanted:
        if wanted.isdigit():
            try:
                record = selectors.record_for_check(scope=scope, pk=int(wanted))
            except NotFoundInScope:
                pass
            else:
                return redirect("signing:check", pk=record.pk)
        messages.error(request, _("No record #%(n)s has a signature you may check.") % {"n": wanted[:12]})
        return redirect("signing:signed")
    before = request.GET.get("before") or ""
    signatures, next_before = selectors.signed_page(scope=scope,
                                                    before=int(before) if before.isdigit() else None)
    return render(request, "signing/signed.html", {"signatures": signatures, "next_before": next_before})


@checkers
def signature_cms(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the detached CMS (.p7s) of a signature in scope."""
    signature = selectors.signature_in_scope(scope=scope_for(request.user), pk=pk)
    response = HttpResponse(services.signature_export_cms(signature),
                            content_type="application/pkcs7-signature")
    response["Content-Disposition"] = f'attachment; filename="record-{signature.record_id}-sig-{pk}.p7s"'
    return response


@checkers
def signature_payload(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the signed payload (canonical JSON) as the database holds it now."""
    signature = selectors.signature_in_scope(scope=scope_for(request.user), pk=pk)
    try:
        payload = services.payload_for_signature(signature)
    except SigningError as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(payload, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="record-{signature.record_id}-sig-{pk}.json"'
    return response


