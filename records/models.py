"""Domain core: administrative units, facilities, vaccines, citizens, injection records, audit."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from records import normalize
from records.rules import validate_identity


class Province(models.Model):
    """One of the 34 provinces (since July 2025). `code` is the official numeric code."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    codename = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name


class Ward(models.Model):
    """A commune or ward (xã/phường/đặc khu), the unit the commune police work in."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    codename = models.CharField(max_length=100)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="wards")

    class Meta:
        ordering = ["province_id", "name"]
        verbose_name = _("commune/ward")
        verbose_name_plural = _("communes/wards")

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    class Ownership(models.TextChoices):
        STATE = "state", pgettext_lazy("facility ownership", "State")
        PRIVATE = "private", pgettext_lazy("facility ownership", "Private")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="facilities")
    ownership = models.CharField(
        _("ownership"), max_length=10, choices=Ownership.choices, default=Ownership.STATE
    )
    active = models.BooleanField(_("active"), default=True)
    # A commune health station (trạm y tế) also answers for reports naming no facility.
    is_health_station = models.BooleanField(_("commune health station"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("vaccination facility")
        verbose_name_plural = _("vaccination facilities")

    def __str__(self) -> str:
        return self.name

    @property
    def province_id(self) -> int:
        return self.ward.province_id


class VaccineProduct(models.Model):
    """A COVID-19 vaccine used in Vietnam, with EU DCC value-set codes for certificates."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    manufacturer = models.CharField(_("manufacturer"), max_length=200)
    # Doses of one family on (nearly) the same date are the same dose.
    family = models.CharField(_("vaccine family"), max_length=40)
    # EU DCC value sets: vaccine-medicinal-product, vaccine-prophylaxis, vaccine-mah-manf.
    eu_medicinal_product = models.CharField(max_length=60)
    eu_vaccine_type = models.CharField(max_length=20)
    eu_ma_holder = models.CharField(max_length=60)
    aliases = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("vaccine product")
        verbose_name_plural = _("vaccine products")

    def __str__(self) -> str:
        return self.name


class Citizen(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class DobPrecision(models.TextChoices):
        DAY = normalize.DAY, _("Full date")
        YEAR = normalize.YEAR, _("Year only")

    cccd = models.CharField(_("CCCD number"), max_length=12, null=True, blank=True)
    cmnd = models.CharField(_("CMND number"), max_length=9, blank=True)
    full_name = models.CharField(_("full name"), max_length=150)
    # Diacritics-, case- and space-folded full name; kept in sync by save().
    name_key = models.CharField(max_length=150, editable=False)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    dob_precision = models.CharField(
        _("date of birth precision"), max_length=4, choices=DobPrecision.choices,
        default=DobPrecision.DAY,
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    ward = models.ForeignKey(
        Ward, on_delete=models.PROTECT, null=True, blank=True, related_name="citizens"
    )
    phone = models.CharField(_("phone"), max_length=10, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, default="VN")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")
        # Exact look-ups only (CCCD, CMND, phone, folded name), so plain B-tree indexes and a
        # unique constraint: a field's db_index or unique would add a second varchar_pattern_ops
        # index on PostgreSQL for LIKE 'x%', which no query runs and every registry import and
        # correction would pay for.
        constraints = [models.UniqueConstraint(fields=["cccd"], name="citizen_cccd_unique")]
        indexes = [models.Index(fields=["birth_year", "name_key"], name="citizen_year_name"),
                   models.Index(fields=["name_key"], name="citizen_name_key"),
                   models.Index(fields=["cmnd"], name="citizen_cmnd"),
                   models.Index(fields=["phone"], name="citizen_phone")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def masked_cccd(self) -> str:
        return normalize.mask_id(self.cccd or self.cmnd)

    @property
    def masked_phone(self) -> str:
        return normalize.mask_phone(self.phone)

    def refresh_keys(self) -> None:
        self.full_name = normalize.normalize_name(self.full_name)
        self.name_key = normalize.fold_name(self.full_name)
        if self.date_of_birth:
            self.birth_year = self.date_of_birth.year
            self.dob_precision = normalize.DAY
        self.phone = normalize.normalize_phone(self.phone)
        if self.cccd == "":
            self.cccd = None

    def clean(self) -> None:
        self.refresh_keys()
        errors = validate_identity(
            cccd=self.cccd or "", cmnd=self.cmnd, sex=self.sex, birth_year=self.birth_year,
            phone=self.phone, foreign=self.nationality != "VN",
        )
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.refresh_keys()
        super().save(*args, **kwargs)


class InjectionRecord(models.Model):
    """One dose given to one citizen. A correction makes a new version; the old one stays."""

    class Source(models.TextChoices):
        ADMINISTERED = "administered", _("Administered here")
        REPORTED = "reported", _("Reported by citizen")
        IMPORTED = "imported", _("Imported from a log")

    class Status(models.TextChoices):
        RECORDED = "recorded", _("Recorded")
        VERIFIED = "verified", _("Identity verified")
        SIGNED = "signed", _("Signed")
        SUPERSEDED = "superseded", _("Superseded")

    # Indexed by injection_citizen_doses below (with the columns the per-person reads need).
    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="injections", db_index=False)
    vaccine = models.ForeignKey(VaccineProduct, on_delete=models.PROTECT)
    dose_number = models.PositiveSmallIntegerField(_("dose number"))
    injection_date = models.DateField(_("injection date"))
    lot_number = models.CharField(_("lot number"), max_length=30, blank=True)
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, null=True, blank=True, related_name="injections"
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.ADMINISTERED)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECORDED)
    version = models.PositiveIntegerField(default=1)
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_version"
    )
    # Where the row came from (the import file's record id). Not indexed: re-imports and the
    # auditor's "which file line made this record" go through the import ledger
    # (verification.ImportedRow: record id, content hash, injection, job, line), never this column.
    source_record_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["citizen_id", "injection_date", "dose_number"]
        verbose_name = _("injection record")
        verbose_name_plural = _("injection records")
        # No index holds ``status``: signing sets it on every record, and an UPDATE that
        # touches no indexed column can be HOT (see records migration 0003). created_at and
        # injection_date: the daily reports read one day of records by either (both written
        # once, never updated).
        indexes = [models.Index(fields=["created_at"], name="injection_created_at"),
                   models.Index(fields=["injection_date"], name="injection_date"),
                   # A person's records (the citizen FK's index), carrying what the daily
                   # reports' people count reads, so PostgreSQL answers from the index
                   # alone instead of one random heap page per record (all written once).
                   models.Index(fields=["citizen"], name="injection_citizen_doses",
                                include=["dose_number", "created_at", "id"])]

    def __str__(self) -> str:
        return f"{self.vaccine} #{self.dose_number} {self.injection_date} (v{self.version})"

    @property
    def is_current(self) -> bool:
        return self.status != self.Status.SUPERSEDED


class WrittenOnce:
    """A model whose rows are written once (the audit trail, reports' submissions): saving a stored
    row again, or deleting one, raises PermissionError with `changed_refusal` / `deleted_refusal`."""

    changed_refusal = deleted_refusal = "Rows of this kind are written once."

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError(self.changed_refusal)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(self.deleted_refusal)


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


class AuditEvent(WrittenOnce, models.Model):
    """Append-only trail: who changed what, when, with the state before and after."""

    changed_refusal = deleted_refusal = "Audit events are append-only."

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)  # 'citizen', 'system', username
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The hash chain (records migration 0006, docs/ARCHITECTURE.md "Audit trail"): written by
    # the database on INSERT, whatever the writer (ORM, COPY, INSERT ... SELECT), never by Python.
    block_id = models.BigIntegerField(null=True, editable=False)
    chain_pos = models.PositiveIntegerField(null=True, editable=False)
    chain_hash = models.CharField(max_length=64, null=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # A plain btree on action (the admin filters on it by equality), without the
        # varchar_pattern_ops twin `db_index=True` adds: no query uses LIKE on it.
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object"),
                   models.Index(fields=["action"], name="audit_action")]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return (f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} "
                f"{self.object_type}#{self.object_id}")


class AuditBlock(WrittenOnce, models.Model):
    """The seal of one transaction's audit events, a link of the audit chain.

    Written by the database when the transaction commits (records migration 0006): ``seq``
    is the block's place in the chain, ``hash`` covers the previous block's hash, the block's
    id, its event count and the hash of its last event (each event's hash covers the one
    before it in the block). ``python manage.py verify_audit_chain`` checks both levels.
    The block of id 0, if any, seals the events written before the chain existed.
    """

    changed_refusal = deleted_refusal = "Audit chain blocks are append-only."

    seq = models.BigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField()
    last_row_hash = models.CharField(max_length=64, blank=True)
    last_event_id = models.BigIntegerField(null=True)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit chain block")
        verbose_name_plural = _("audit chain blocks")

    def __str__(self) -> str:
        return f"block {self.seq} ({self.row_count} events)"
