"""The country signing CA, its document signers and the certificates they sign.

Never stored: a DSC's passphrase or PIN (``CERTIFICATES_DSC_SECRET`` in the environment), a
private key in clear. A file DSC is kept as its encrypted PKCS#12, a token DSC as its labels.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from signing.models import CertificateMixin


class CountrySigningCA(CertificateMixin):
    """The CSCA: the root a verifier trusts for Vietnam's DSCs; it also signs the trust list."""

    label = models.CharField(_("label"), max_length=200, blank=True)

    class Meta:
        ordering = ["-not_after"]
        verbose_name = _("country signing CA")
        verbose_name_plural = _("country signing CAs")

    def __str__(self) -> str:
        return self.label or self.subject


class DocumentSigner(CertificateMixin):
    """A DSC: the certificate whose key signs HCERTs, and where that key lives."""

    class KeyStore(models.TextChoices):
        FILE = "file", _("Key file (PKCS#12)")
        PKCS11 = "pkcs11", _("Token (PKCS#11)")

    class Algorithm(models.TextChoices):
        ES256 = "ES256", "ES256"
        PS256 = "PS256", "PS256"

    csca = models.ForeignKey(CountrySigningCA, on_delete=models.PROTECT, related_name="signers")
    # The HCERT kid: the first 8 bytes of SHA-256 of the DER, hex.
    kid = models.CharField(max_length=16, unique=True)
    key_store = models.CharField(_("key store"), max_length=8, choices=KeyStore.choices)
    algorithm = models.CharField(max_length=5, choices=Algorithm.choices)
    pkcs12 = models.BinaryField(null=True, blank=True, editable=False)
    token_label = models.CharField(max_length=64, blank=True)
    key_label = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-not_after"]
        verbose_name = _("document signer")
        verbose_name_plural = _("document signers")

    def __str__(self) -> str:
        return f"{self.subject} (kid {self.kid})"


class VaccinationCertificate(models.Model):
    """One HCERT issued to a citizen from a set of signed record versions.

    ``valid``: the citizen's current certificate. ``replaced``: an older one, true for the doses
    it names (a later dose made a new one), still verifies. ``revoked``: a record it was built
    on was corrected; it is on the revocation list and fails verification.
    """

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REPLACED = "replaced", _("Replaced by a newer certificate")
        REVOKED = "revoked", _("Revoked")

    citizen = models.ForeignKey("records.Citizen", on_delete=models.PROTECT, related_name="+")
    uvci = models.CharField(max_length=80)  # unique by a constraint: one B-tree, no pattern_ops twin
    signer = models.ForeignKey(DocumentSigner, on_delete=models.PROTECT, related_name="+")
    records = models.ManyToManyField("records.InjectionRecord", through="CertificateRecord",
                                     related_name="+")
    # SHA-256 of the sorted record version ids: the same records give the same certificate.
    records_key = models.CharField(max_length=64)
    hc1 = models.TextField()
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The EU revocation hash types (first 16 bytes of SHA-256, hex): UVCI, country + UVCI,
    # and the COSE signature (its r half for ECDSA).
    uvci_hash = models.CharField(max_length=32)
    country_uvci_hash = models.CharField(max_length=32)
    signature_hash = models.CharField(max_length=32)
    replaces = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("vaccination certificate")
        verbose_name_plural = _("vaccination certificates")
        constraints = [
            models.UniqueConstraint(fields=["citizen"], condition=models.Q(status="valid"),
                                    name="certificate_one_valid_per_citizen"),
            models.UniqueConstraint(fields=["uvci"], name="certificate_uvci_unique"),
        ]
        # The verifier looks a certificate's three revocation hashes up among the revoked rows only.
        indexes = [models.Index(fields=["revoked_at"], name="certificate_revoked_at",
                                condition=models.Q(revoked_at__isnull=False)),
                   *[models.Index(fields=[column], name=name, condition=models.Q(status="revoked"))
                     for column, name in (("uvci_hash", "cert_revoked_uvci"),
                                          ("country_uvci_hash", "cert_revoked_country_uvci"),
                                          ("signature_hash", "cert_revoked_signature"))]]

    def __str__(self) -> str:
        return self.uvci


class CertificateRecord(models.Model):
    """A record version a certificate was built on (a correction of it revokes the certificate)."""

    certificate = models.ForeignKey(VaccinationCertificate, on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey("records.InjectionRecord", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "certificate"],
                                               name="certificate_record_once")]


class IssueRun(models.Model):
    """One bulk issue asked for from the issuer's page: for everyone ready in a province (or, from
    beat, the nation), run by a Celery worker; the page polls its counts."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Issuing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+")
    province = models.ForeignKey("records.Province", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")  # None: the nation
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)  # citizens with a signed dose, known once started
    issued = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk certificate issue")
        verbose_name_plural = _("bulk certificate issues")

    @property
    def done_count(self) -> int:
        return self.issued + self.unchanged + self.refused

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.is_finished else 0
        return min(100, round(100 * self.done_count / self.total))
