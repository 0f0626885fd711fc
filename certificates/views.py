"""Public pages of the room: the verifier, the signed trust list and revocation list."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from certificates import publication, scan, selectors
from certificates.forms import VerifyForm
from certificates.verify import Verdict, verify_hc1
from vaxrecon.access import rate_limited


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
    context: dict = {"form": form}
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
