"""Reads: the trust list (DSCs under our CSCAs), the revocation list, a citizen's certificates."""

from __future__ import annotations

import base64
from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.models import DocumentSigner, IssueRun, VaccinationCertificate
from records.models import Citizen, VaccineProduct
from records.normalize import BirthDate
from vaxrecon.access import scope_for
from vaxrecon.errors import NotFoundInScope


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def trusted_signers() -> dict[bytes, DocumentSigner]:
    """kid -> DSC, for every DSC on the trust list (active, under a registered CSCA)."""
    signers = DocumentSigner.objects.filter(active=True).select_related("csca")
    return {bytes.fromhex(d.kid): d for d in signers}


def trust_list() -> dict:
    """The trust list's content: the country's DSCs, each with kid, DER and validity."""
    return {
        "country": "VN",
        "generated_at": timezone.now().isoformat(),
        "certificates": [{
            "kid": _b64(kid), "kid_hex": dsc.kid, "certificate": _b64(bytes(dsc.der)),
            "not_before": dsc.not_before.isoformat(), "not_after": dsc.not_after.isoformat(),
            "algorithm": dsc.algorithm, "csca_fingerprint": dsc.csca.fingerprint,
        } for kid, dsc in sorted(trusted_signers().items())],
    }


def is_revoked(hashes: dict[str, str]) -> bool:
    """True when a revoked certificate has one of these revocation hashes (each kind matched on its
    own column, through the partial indexes of the revoked rows)."""
    revoked = VaccinationCertificate.objects.filter(status=VaccinationCertificate.Status.REVOKED)
    match = Q(uvci_hash=hashes["uvci_hash"]) | Q(country_uvci_hash=hashes["country_uvci_hash"]) | Q(
        signature_hash=hashes["signature_hash"])
    return revoked.filter(match).exists()


def revocation_list() -> dict:
    """The revocation list's content by the EU hash types (base64 of the 16-byte hashes)."""
    rows = list(VaccinationCertificate.objects.filter(status=VaccinationCertificate.Status.REVOKED)
                .order_by("revoked_at", "id").values_list("uvci_hash", "country_uvci_hash", "signature_hash"))
    by_type = {"UVCI": 0, "COUNTRYCODEUVCI": 1, "SIGNATURE": 2}
    return {
        "country": "VN",
        "generated_at": timezone.now().isoformat(),
        "entries": {name: [_b64(bytes.fromhex(row[i])) for row in rows] for name, i in by_type.items()},
    }


def current_certificate(*, citizen) -> VaccinationCertificate | None:
    """The citizen's valid certificate, if any."""
    valid = VaccinationCertificate.Status.VALID
    return VaccinationCertificate.objects.filter(citizen=citizen, status=valid).first()


def vaccine_name(medicinal_product: str) -> str:
    """Our name of the product with this EU code (the code itself when we have none)."""
    product = VaccineProduct.objects.filter(eu_medicinal_product=medicinal_product).order_by("pk").first()
    return f"{product.name} ({medicinal_product})" if product else medicinal_product


def citizen_in_scope(*, user, pk: int) -> Citizen:
    """The citizen ``pk`` if the acting user's scope holds the ward they live in, else ``NotFoundInScope``."""
    citizen = (Citizen.objects.filter(scope_for(user).q(ward="ward", province="ward__province"))
               .filter(pk=pk).first())
    if citizen is None:
        raise NotFoundInScope(_("No such citizen."))
    return citizen


def certificates_of(*, citizen) -> list[VaccinationCertificate]:
    """Every certificate of ``citizen``, newest first."""
    return list(VaccinationCertificate.objects.filter(citizen=citizen).select_related("signer"))


def citizen_by_identity(*, cccd: str, birth: BirthDate) -> Citizen | None:
    """The citizen with this CCCD whose date of birth is ``birth`` (a year only when that is all we
    know of them, the full date otherwise); None when either differs."""
    citizen = Citizen.objects.filter(cccd=cccd).first()
    if citizen is None or not birth.is_known:
        return None
    if citizen.date_of_birth is not None:
        return citizen if birth.value == citizen.date_of_birth else None
    return citizen if birth.value is None and birth.year == citizen.birth_year else None


def holder_certificates(*, citizen_ids: Iterable[int]) -> list[VaccinationCertificate]:
    """The current certificates of the citizens a one-time code has proven the visitor to be."""
    valid = VaccinationCertificate.Status.VALID
    return list(VaccinationCertificate.objects.filter(citizen_id__in=list(citizen_ids), status=valid)
                .select_related("citizen"))


def holder_certificate(*, citizen_ids: Iterable[int], pk: int) -> VaccinationCertificate:
    """Certificate ``pk`` if it is the current one of a proven citizen, else ``NotFoundInScope``."""
    found = [c for c in holder_certificates(citizen_ids=citizen_ids) if c.pk == pk]
    if not found:
        raise NotFoundInScope(_("No such certificate."))
    return found[0]


def issue_runs_of(*, user, limit: int = 10) -> list[IssueRun]:
    """The latest bulk issues of the acting user's province, newest first."""
    return list(IssueRun.objects.filter(scope_for(user).q(province="province"))
                .select_related("requested_by")[:limit])


def issue_run_in_scope(*, user, pk: int) -> IssueRun:
    """Bulk issue ``pk`` if it is of the acting user's province, else ``NotFoundInScope``."""
    run = IssueRun.objects.filter(scope_for(user).q(province="province")).filter(pk=pk).first()
    if run is None:
        raise NotFoundInScope(_("No such bulk issue."))
    return run
