"""The verification room in the admin, read-only: a case moves only through the state machine
(verification/workflow.py), which writes its events and audit rows. CCCD/CMND and phone are
masked in the lists."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from records.normalize import mask_id
from vaxrecon.admin_readonly import ReadOnlyAdmin
from verification.models import (
    CaseEvent,
    ImportedRow,
    ImportJob,
    MatchReview,
    PoliceVerification,
    ReconciliationCase,
)
from verification.timeline import event_line


@admin.register(ReconciliationCase)
class ReconciliationCaseAdmin(ReadOnlyAdmin):
    list_display = ("tracking_code", "full_name", "masked_id_number", "status", "origin", "ward", "facility",
                    "submitted_at")
    list_filter = ("status", "origin")
    search_fields = ("tracking_code",)
    show_full_result_count = False
    exclude = ("name_key",)

    @admin.display(description=_("CCCD/CMND"))
    def masked_id_number(self, case):
        return mask_id(case.id_number)


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ("case", "at", "transition", "from_status", "to_status", "actor_label", "said")
    list_filter = ("transition",)
    show_full_result_count = False

    @admin.display(description=_("What it says"))
    def said(self, event):
        """The timeline line in the reader's language (stored as an id with its parameters)."""
        return event_line(event)


@admin.register(PoliceVerification)
class PoliceVerificationAdmin(ReadOnlyAdmin):
    list_display = ("case", "at", "source", "outcome", "officer", "batch_id")
    list_filter = ("source", "outcome")
    show_full_result_count = False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "facility", "uploaded_by", "status", "total_rows", "created_at")
    list_filter = ("status",)


@admin.register(ImportedRow)
class ImportedRowAdmin(ReadOnlyAdmin):
    list_display = ("source_record_id", "line", "outcome", "import_event")
    show_full_result_count = False


@admin.register(MatchReview)
class MatchReviewAdmin(ReadOnlyAdmin):
    list_display = ("source_record_id", "facility", "status", "created_at")
    list_filter = ("status",)
    show_full_result_count = False
    exclude = ("record", "candidates")
