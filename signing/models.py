"""Keys, certificates and signatures, as the database keeps them.

Never stored: passphrases, PINs, private keys in clear. A registered PKCS#12 file is
kept as the encrypted bytes the signer gave (it opens only with their passphrase,
asked per batch); a token key is kept as its token and key labels.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from cryptography import x509
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from signing.keystores import Algorithm
from verification.models import Leased


class CertificateMixin(models.Model):
    """A stored X.509 certificate (DER) with the fields people search by."""

    der = models.BinaryField()
    fingerprint = models.CharField(max_length=64, unique=True)  # hex SHA-256 of the DER
    subject = models.CharField(_("subject"), max_length=500)
    issuer_name = models.CharField(_("issuer"), max_length=500)
    serial = models.CharField(max_length=64)  # hex
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    @cached_property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(bytes(self.der))

    def expires_within(self, days: int, *, now: dt.datetime | None = None) -> bool:
        return self.not_after <= (now or timezone.now()) + dt.timedelta(days=days)

    @property
    def is_expired(self) -> bool:
        return self.not_after < timezone.now()


class AuthorityCertificate(CertificateMixin):
    """A CA certificate: a trusted root (the trust store) or an intermediate/issuing CA.

    Only roots with ``trusted=True`` anchor chains; intermediates just help build them.
    """

    class Kind(models.TextChoices):
        ROOT = "root", _("Root CA")
        INTERMEDIATE = "intermediate", _("Intermediate CA")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    trusted = models.BooleanField(_("trusted"), default=False,
                                  help_text="roots only: part of the trust store")
    label = models.CharField(_("label"), max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "subject"]
        verbose_name = _("CA certificate")
        verbose_name_plural = _("CA certificates")

    def __str__(self) -> str:
        return self.label or self.subject


class RevocationList(models.Model):
    """The current CRL of one CA, imported from a file or URL and refreshed from there."""

    issuer = models.OneToOneField(AuthorityCertificate, on_delete=models.CASCADE,
                                  related_name="crl")
    der = models.BinaryField()
    this_update = models.DateTimeField()
    next_update = models.DateTimeField(null=True, blank=True)
    revoked_count = models.PositiveIntegerField(default=0)
    source = models.CharField(_("source"), max_length=500, blank=True,
                              help_text="file path or http(s) URL it is refreshed from")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("revocation list")
        verbose_name_plural = _("revocation lists")

    def __str__(self) -> str:
        return f"CRL {self.issuer} ({self.this_update:%Y-%m-%d})"

    @cached_property
    def crl(self) -> x509.CertificateRevocationList:
        return x509.load_der_x509_crl(bytes(self.der))

    @property
    def is_stale(self) -> bool:
        return self.next_update is not None and self.next_update < timezone.now()


class SignerCertificate(CertificateMixin):
    """A person's signing certificate and where its key lives, bound to their scope.

    The scope (ward for a commune chairman, facility for a facility head, province for
    a central signer) is copied from the profile at registration: a certificate issued
    for one commune does not follow its holder to another.
    """

    class KeyStore(models.TextChoices):
        FILE = "file", _("Key file (PKCS#12)")
        PKCS11 = "pkcs11", _("Token (PKCS#11)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="signer_certificates")
    issuer = models.ForeignKey(AuthorityCertificate, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    ward = models.ForeignKey("records.Ward", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    facility = models.ForeignKey("records.Facility", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+")
    province = models.ForeignKey("records.Province", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+")
    key_store = models.CharField(_("key store"), max_length=8, choices=KeyStore.choices)
    algorithm = models.CharField(max_length=24, choices=[(a.value, a.value) for a in Algorithm])
    # FILE: the encrypted PKCS#12 exactly as registered (useless without the passphrase).
    pkcs12 = models.BinaryField(null=True, blank=True, editable=False)
    # PKCS11: where the key is; the module comes from settings.SIGNING_PKCS11_MODULE.
    token_label = models.CharField(max_length=64, blank=True)
    key_label = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-not_after"]
        verbose_name = _("signer certificate")
        verbose_name_plural = _("signer certificates")

    def __str__(self) -> str:
        return f"{self.subject} ({self.get_key_store_display()}, {self.not_after:%Y-%m-%d})"


class SigningBatch(Leased):
    """One signing request: which records, by whom, with which certificate, and progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Signing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    certificate = models.ForeignKey(SignerCertificate, on_delete=models.PROTECT,
                                    related_name="batches")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    record_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    signed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="no longer awaiting signature")
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("signing batch")
        verbose_name_plural = _("signing batches")

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.is_finished else 0
        return min(100, round(100 * (self.signed + self.skipped) / self.total))


class Signature(models.Model):
    """The signature of one injection record version.

    What was signed is the canonical payload rebuilt from the record version, its
    citizen's identity and the police verification named by ``police_reference``; only
    its hash is stored. A correction supersedes the signature (the new version needs its
    own) but does not invalidate it: the old version is kept unchanged.
    """

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        SUPERSEDED = "superseded", _("Superseded by a correction")

    record = models.ForeignKey("records.InjectionRecord", on_delete=models.PROTECT,
                               related_name="signatures")
    # Indexed with the record (Meta).
    case = models.ForeignKey("verification.ReconciliationCase", on_delete=models.PROTECT,
                             null=True, blank=True, related_name="signatures", db_index=False)
    police_reference = models.CharField(max_length=40)
    payload_hash = models.CharField(max_length=64)
    signature = models.BinaryField()
    algorithm = models.CharField(max_length=24, choices=[(a.value, a.value) for a in Algorithm])
    # No index on certificate, signed_by or batch: no query looks signatures up by them, and
    # every signature row would pay for three more index entries (batch signing writes
    # millions). Deleting a certificate, user or batch scans the table instead (rare).
    certificate = models.ForeignKey(SignerCertificate, on_delete=models.PROTECT,
                                    related_name="signatures", db_index=False)
    signing_time = models.DateTimeField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", db_index=False)
    batch = models.ForeignKey(SigningBatch, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="signatures", db_index=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-signing_time", "-id"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(fields=["record"], condition=models.Q(status="valid"),
                                    name="signature_one_valid_per_record"),
        ]
        # The daily reports count one day's signatures (a batch appends at the right edge
        # of this index) and the rare superseded ones.
        indexes = [models.Index(fields=["signing_time"], name="signature_signing_time"),
                   models.Index(fields=["superseded_at"], name="signature_superseded_at",
                                condition=models.Q(superseded_at__isnull=False)),
                   # The signer's page: the records signed in the scope's cases, from the index
                   # alone (it replaces the case foreign key's own index).
                   models.Index(fields=["case", "record"], name="signature_case_record"),
                   # ... and the corrections awaiting a new signature: the superseded signatures
                   # of the scope's cases (a few in a hundred), from this small index alone.
                   models.Index(fields=["case", "record"], name="signature_superseded_case",
                                condition=models.Q(status="superseded"))]

    def __str__(self) -> str:
        return f"signature #{self.pk} of record {self.record_id}"
