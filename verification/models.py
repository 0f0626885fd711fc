"""Reconciliation cases, their timeline and evidence, one-time codes, police verification,
and the record-linkage work items (imports and match reviews)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from records import normalize
from verification.workflow import OPEN_STATES, CaseStatus, RejectReason

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: a code read over the phone or from a slip survives.
TRACKING_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
TRACKING_LENGTH = 12
REVIEW_DEADLINE = timedelta(hours=48)


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


class ReconciliationCase(models.Model):
    """One request to fix one person's vaccination data."""

    class Origin(models.TextChoices):
        CITIZEN_REPORT = "citizen_report", _("Citizen report")
        CLINIC_ENTRY = "clinic_entry", _("Clinic entry")
        BULK_IMPORT = "bulk_import", _("Bulk import")

    # Unique by a constraint in Meta, not ``unique=True``: that would add a varchar_pattern_ops
    # twin index, and tracking codes are only ever looked up by equality.
    tracking_code = models.CharField(max_length=16, default=new_tracking_code, editable=False)
    origin = models.CharField(max_length=16, choices=Origin.choices)
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED)
    # Claimed identity, as reported.
    full_name = models.CharField(_("full name"), max_length=150)
    name_key = models.CharField(max_length=150, editable=False)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    dob_precision = models.CharField(max_length=4, default=normalize.DAY)
    sex = models.CharField(_("sex"), max_length=1, choices=[("M", _("Male")), ("F", _("Female"))])
    id_number = models.CharField(_("CCCD/CMND number"), max_length=12, blank=True)
    phone = models.CharField(_("phone"), max_length=10, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, default="VN")
    # Where the person lives: the commune police of this ward verify them.
    ward = models.ForeignKey("records.Ward", on_delete=models.PROTECT, related_name="cases", db_index=False)
    # The facility that answers for the case; none -> the commune health station of `ward`.
    facility = models.ForeignKey("records.Facility", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="cases", db_index=False)
    citizen = models.ForeignKey("records.Citizen", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="cases")
    injections = models.ManyToManyField("records.InjectionRecord", blank=True, related_name="cases")
    confirmed = models.BooleanField(default=False, help_text="reporter's phone proven by a one-time code")
    reject_reason = models.CharField(max_length=16, choices=RejectReason.choices, blank=True)
    reject_note = models.TextField(blank=True)
    info_request = models.TextField(blank=True)
    # The police's correct values when the identity did not match: field -> value.
    police_values = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # Police queue claims ("next case"): expire so a case is never stuck with one officer.
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+", db_index=False)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    deadline_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        # Every status change rewrites an entry in every index (status is indexed, so the
        # UPDATE is never HOT): only the indexes some query needs, no `_like` twins (no LIKE
        # query uses them; `name_key__contains` cannot), partial where most rows need no
        # entry. The ward/facility FKs are served by the (ward|facility, status) pairs.
        # The ward's pair carries the id, so a scope's cases of some states (the signer's
        # page: every case of the ward that can hold a signature) come from the index alone.
        indexes = [models.Index(fields=["ward", "status"], name="case_ward_status", include=["id"]),
                   models.Index(fields=["facility", "status"], name="case_facility_status"),
                   models.Index(fields=["name_key"], name="case_name_key"),
                   # The only queries on status across wards (pending_for_registry, the
                   # national police report) ask for the cases awaiting police.
                   models.Index(fields=["id"], name="case_awaiting_police",
                                condition=models.Q(status=CaseStatus.AWAITING_POLICE)),
                   models.Index(fields=["phone"], name="case_phone", condition=~models.Q(phone="")),
                   # The clinic queue's search by CCCD/CMND (exact); many cases carry none.
                   models.Index(fields=["id_number"], name="case_id_number",
                                condition=~models.Q(id_number="")),
                   models.Index(fields=["claimed_by"], name="case_claimed_by",
                                condition=models.Q(claimed_by__isnull=False)),
                   # The clinic queue: a facility's open cases, oldest first, read in index
                   # order up to the page. Without it PostgreSQL walked submitted_at across
                   # every case of the nation, closed ones included, to find the first 25.
                   models.Index(fields=["facility", "submitted_at", "id"], name="case_facility_open",
                                condition=models.Q(status__in=sorted(OPEN_STATES))),
                   # ... and its ward's open cases no facility holds yet (the scope's other half):
                   # without it PostgreSQL could not read the two halves as two small index
                   # ranges and walked submitted_at instead (a facility whose cases are old:
                   # 35,000 rows for 25, 128 ms, against 14 ms; EXPLAIN ANALYZE, national set).
                   models.Index(fields=["ward", "submitted_at", "id"], name="case_ward_unassigned_open",
                                condition=models.Q(facility__isnull=True, status__in=sorted(OPEN_STATES)))]
        constraints = [models.UniqueConstraint(fields=["tracking_code"], name="case_tracking_code_unique")]
        verbose_name = _("reconciliation case")
        verbose_name_plural = _("reconciliation cases")

    def __str__(self) -> str:
        return self.tracking_code

    def save(self, *args, **kwargs):
        self.full_name = normalize.normalize_name(self.full_name)
        self.name_key = normalize.fold_name(self.full_name)
        if self.deadline_at is None:
            self.deadline_at = (self.submitted_at or timezone.now()) + REVIEW_DEADLINE
        super().save(*args, **kwargs)

    @property
    def initials(self) -> str:
        return normalize.initials(self.full_name)

    @property
    def masked_id(self) -> str:
        return normalize.mask_id(self.id_number)

    @property
    def masked_phone(self) -> str:
        return normalize.mask_phone(self.phone)


class ClaimedDose(models.Model):
    """A dose the reporter says they received, before anyone confirms it."""

    case = models.ForeignKey(ReconciliationCase, on_delete=models.CASCADE, related_name="claimed_doses")
    vaccine = models.ForeignKey("records.VaccineProduct", on_delete=models.PROTECT, null=True, blank=True)
    vaccine_text = models.CharField(max_length=60, blank=True)
    dose_number = models.PositiveSmallIntegerField(_("dose number"))
    injection_date = models.DateField(_("injection date"))
    facility = models.ForeignKey("records.Facility", on_delete=models.PROTECT, null=True, blank=True)
    lot_number = models.CharField(_("lot number"), max_length=30, blank=True)
    # The injection record this claim became (or matched), once the clinic confirms it.
    injection = models.ForeignKey("records.InjectionRecord", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+")

    class Meta:
        ordering = ["dose_number", "injection_date"]


class CaseEvent(models.Model):
    """The case's timeline: every transition and note, shown to staff (and, summarised, to the citizen)."""

    # Indexed by (case, at) below, which also serves the foreign key.
    case = models.ForeignKey(ReconciliationCase, on_delete=models.CASCADE, related_name="events",
                             db_index=False)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    actor_label = models.CharField(max_length=150)
    transition = models.CharField(max_length=40, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        # (case, at): a case's state at a given instant (the daily reports' backlog and time
        # in step, the police round), answered from the index alone on PostgreSQL (the
        # statuses and the id that orders events of the same instant are included); at:
        # the events of one day.
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at",
                                include=["transition", "from_status", "to_status", "id"]),
                   models.Index(fields=["at"], name="case_event_at")]


def evidence_path(instance: Evidence, filename: str) -> str:
    # Stored under a random name: the original name is kept in the row, never trusted on disk.
    return f"evidence/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class Evidence(models.Model):
    case = models.ForeignKey(ReconciliationCase, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path)
    content_type = models.CharField(max_length=40)  # detected from the content
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200)
    uploaded_at = models.DateTimeField(default=timezone.now)


class OneTimeCode(models.Model):
    """A code sent by SMS to prove a phone: to confirm a report or to see a case's details."""

    class Purpose(models.TextChoices):
        CONFIRM_REPORT = "confirm_report", _("Confirm a report")
        VIEW_STATUS = "view_status", _("See case details")
        VIEW_CERTIFICATE = "view_certificate", _("See one's vaccination certificate")

    phone = models.CharField(max_length=10, db_index=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    case = models.ForeignKey(ReconciliationCase, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="codes")
    code_hash = models.CharField(max_length=128)  # never the code itself
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)


class PoliceVerification(models.Model):
    """One answer about one case's identity: from the population registry or an officer."""

    class Source(models.TextChoices):
        REGISTRY = "registry", _("National population database")
        OFFICER = "officer", _("Commune police officer")

    class Outcome(models.TextChoices):
        MATCH = "match", _("Identity confirmed")
        MISMATCH = "mismatch", _("Identity does not match")
        NOT_FOUND = "not_found", _("Not found")
        FOREIGN = "foreign", _("Foreign national")

    case = models.ForeignKey(ReconciliationCase, on_delete=models.PROTECT, related_name="verifications")
    reference = models.CharField(max_length=40, unique=True, default=new_tracking_code)
    source = models.CharField(max_length=10, choices=Source.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # What the registry holds for the four fields (and which differ from the claim).
    registry_values = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    differing_fields = models.JSONField(default=list, blank=True)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    note = models.TextField(blank=True)
    batch_id = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("identity answer")
        verbose_name_plural = _("identity answers")
        ordering = ["at", "id"]


class Leased(models.Model):
    """A job a worker runs under a lease (`verification.services.leases`): the worker renews
    `lease_expires_at` while it runs; a job still `running` past it lost its worker (killed,
    or cut off from the database) and the reaper marks it failed and `resumable`."""

    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    resumable = models.BooleanField(default=False)

    class Meta:
        abstract = True


class ImportJob(Leased):
    """A spreadsheet of injection records uploaded by a facility, processed by a Celery task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    facility = models.ForeignKey("records.Facility", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    linked_rows = models.PositiveIntegerField(default=0)
    review_rows = models.PositiveIntegerField(default=0)
    unmatched_rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    skipped_rows = models.PositiveIntegerField(default=0, help_text="already imported")
    error_report = models.FileField(upload_to="imports/errors/%Y/%m/", blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]


class ImportedRow(models.Model):
    """Idempotency ledger: a source row (id + content hash) lands once, however often re-imported."""

    source_record_id = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)
    job = models.ForeignKey(ImportJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=10)  # linked / review / none / incomplete
    created_at = models.DateTimeField(default=timezone.now)
    # Where the row came from: the run's `import.file` audit event (who, when, which file by
    # name and SHA-256, which job) and the line of that file; and the injection record it became.
    import_event = models.ForeignKey("records.AuditEvent", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", db_index=False)
    line = models.PositiveIntegerField(null=True, blank=True)
    injection = models.OneToOneField("records.InjectionRecord", on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="imported_row")

    class Meta:
        verbose_name = _("imported row")
        verbose_name_plural = _("imported rows")
        constraints = [models.UniqueConstraint(fields=["source_record_id", "content_hash"],
                                               name="imported_row_once")]


class MatchReview(models.Model):
    """An incoming record the engine could not link unambiguously, with its candidates."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Linked to a candidate")
        NEW_CITIZEN = "new_citizen", _("New citizen created")
        REJECTED = "rejected", _("Rejected")

    job = models.ForeignKey(ImportJob, on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="reviews")
    facility = models.ForeignKey("records.Facility", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="match_reviews")
    source_record_id = models.CharField(max_length=64, db_index=True)
    record = models.JSONField(encoder=DjangoJSONEncoder)  # the incoming row, normalised
    candidates = models.JSONField(default=list, encoder=DjangoJSONEncoder)  # [{citizen_id, score, reasons}]
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    citizen = models.ForeignKey("records.Citizen", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    injection = models.ForeignKey("records.InjectionRecord", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The run's `import.file` audit event; the line is record["line"].
    import_event = models.ForeignKey("records.AuditEvent", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", db_index=False)

    class Meta:
        verbose_name = _("match review")
        verbose_name_plural = _("match reviews")
        ordering = ["created_at", "id"]


class RegistryCircuit(models.Model):
    """The circuit breaker in front of the population registry: one row per service.

    Kept in the database so every web process and Celery worker sees the same state
    (and it survives restarts); the pages read it to say that verification is delayed.
    """

    class State(models.TextChoices):
        CLOSED = "closed", _("Working")
        OPEN = "open", _("Unavailable")
        HALF_OPEN = "half_open", _("Trying again")

    service = models.CharField(max_length=40, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    opened_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)


class TaskOutbox(models.Model):
    """A Celery task to send, written in the same transaction as the work it starts (a
    transactional outbox): relayed to the broker once that transaction commits, or by the
    periodic sweep when the broker was down then (`verification.services.outbox`)."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_pending")]
