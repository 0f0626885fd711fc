"""The reports room in the admin: built days and submissions, read-only (a day is changed by
rebuilding it, a submission never; re-opening a locked day is the daily page's, audited)."""

from django.contrib import admin

from reports.models import ReportDay, ReportSubmission
from vaxrecon.admin_readonly import ReadOnlyAdmin


@admin.register(ReportDay)
class ReportDayAdmin(ReadOnlyAdmin):
    list_display = ("day", "built_at", "build_ms", "rows", "stale_since", "reopened_at")
    date_hierarchy = "day"


@admin.register(ReportSubmission)
class ReportSubmissionAdmin(ReadOnlyAdmin):
    list_display = ("day", "province", "version", "submitted_by", "submitted_at", "late", "content_hash")
    list_filter = ("late", "province")
    date_hierarchy = "day"
    exclude = ("signature",)
