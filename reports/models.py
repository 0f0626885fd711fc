"""Stored daily figures, the days they were built, and provinces' submissions to the Ministry.

Units are kept as plain integer codes (province code, ward code, facility id), not foreign
keys: a built day is written in a few set-wise statements and never joined back for its
own sake; names are looked up for display only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from records.models import WrittenOnce
from reports.figures import DURATION, FIGURES


class Level(models.IntegerChoices):
    NATION = 0, _("Nation")
    PROVINCE = 1, _("Province")
    WARD = 2, _("Commune/ward")
    FACILITY = 3, _("Facility")


class DailyFigures(models.Model):
    """One row of figures per local day (Asia/Ho_Chi_Minh) and unit. The figure columns
    (one per entry of reports.figures.FIGURES) are added below the class."""

    day = models.DateField()
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    # Province code, ward code or facility id; 0 for the nation.
    unit = models.IntegerField()
    province = models.IntegerField(null=True, blank=True)  # the unit's province (None: nation)
    ward = models.IntegerField(null=True, blank=True)  # the unit's ward (ward and facility rows)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "level", "unit"],
                                               name="daily_figures_unit_day")]
        indexes = [models.Index(fields=["level", "province", "day"], name="daily_figures_province"),
                   models.Index(fields=["level", "ward", "day"], name="daily_figures_ward")]
        ordering = ["day", "level", "unit"]
        verbose_name = _("daily figures")
        verbose_name_plural = _("daily figures")

    def __str__(self) -> str:
        return f"{self.day} {Level(self.level).label} {self.unit}"

    def values(self) -> dict:
        return {f.name: getattr(self, f.name) for f in FIGURES}


for _figure in FIGURES:
    # Flows and stocks are counts (0 when nothing happened); durations are None when no
    # case left the step that day.
    DailyFigures.add_to_class(
        _figure.name,
        models.BigIntegerField(null=True, blank=True) if _figure.kind == DURATION
        else models.BigIntegerField(default=0),
    )


class DailyDoses(models.Model):
    """Doses on record at the end of the day by vaccine, dose number, sex and age band, for
    the provinces (where given) and the nation. Communes and facilities keep the totals by
    dose number in DailyFigures: the full cross-table for some ten thousand units would be
    about a million rows a day."""

    day = models.DateField()
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    unit = models.IntegerField()
    vaccine = models.CharField(max_length=40)  # VaccineProduct.code
    dose_number = models.PositiveSmallIntegerField()
    sex = models.CharField(max_length=1)
    age_band = models.CharField(max_length=8)  # reports.figures.PERSON_AGE_BANDS
    doses = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "level", "unit"], name="daily_doses_unit_day")]
        ordering = ["day", "level", "unit", "vaccine", "dose_number", "sex", "age_band"]


class ReportDay(models.Model):
    """A local day whose figures are built: when, how long it took, and whether late data
    touched it since (then the next scheduled run rebuilds it)."""

    day = models.DateField(unique=True)
    built_at = models.DateTimeField()
    build_ms = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    stale_since = models.DateTimeField(null=True, blank=True)
    stale_reason = models.CharField(max_length=200, blank=True)
    # A day older than REPORTS_LOCK_AFTER_DAYS is locked; a ministry analyst may re-open it.
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)


class ReportSubmission(WrittenOnce, models.Model):
    """One province's figures for one day as submitted to the Ministry: immutable.

    A resubmission after a rebuild is a new version; `figures` is the exact content that
    `content_hash` (SHA-256 of its canonical JSON) and the optional detached CMS signature
    cover."""

    changed_refusal = "Submissions are immutable: submit a new version."
    deleted_refusal = "Submissions are immutable."

    day = models.DateField()
    province = models.ForeignKey("records.Province", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    late = models.BooleanField(default=False)
    figures = models.JSONField()
    content_hash = models.CharField(max_length=64)
    note = models.TextField(blank=True)
    # Detached CMS (DER) over the canonical JSON, when the submitter holds a signer certificate.
    signature = models.BinaryField(null=True, blank=True)
    certificate = models.ForeignKey("signing.SignerCertificate", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")

    class Meta:
        ordering = ["day", "province_id", "version"]
        constraints = [models.UniqueConstraint(fields=["day", "province", "version"],
                                               name="report_submission_version")]

    def __str__(self) -> str:
        return f"{self.day} {self.province_id} v{self.version}"
