"""Services that write reconciliation cases: the one place a case changes.

`transitions` holds the single state-changing primitive; `cases` the named steps of the
procedure built on it; `otp`, `evidence` and `notify` the citizen-facing parts.
Import from here: `from verification.services import case_transition, case_reject`.
"""

from verification.services.cases import (
    DuplicateDose,
    case_add_dose,
    case_confirm,
    case_correct_dose,
    case_correct_identity,
    case_create_citizen,
    case_link_citizen,
    case_open,
    case_provide_info,
    case_reject,
    case_request_info,
    case_resend_code,
    case_send_to_police,
    case_start_review,
    case_submit,
    case_use_existing_dose,
    case_withdraw,
    check_not_duplicate,
    report_errors,
)
from verification.services.doses import dose_correct, dose_record
from verification.services.evidence import evidence_attach, evidence_check
from verification.services.otp import otp_send, otp_verify
from verification.services.transitions import AUDITED_FIELDS, actor_kind_of, case_event, case_transition

# The transitions, then the named steps (``cases.__all__``), then the citizen-facing parts.
__all__ = [
    "AUDITED_FIELDS", "actor_kind_of", "case_event", "case_transition",
    "DuplicateDose", "case_submit", "report_errors", "case_resend_code", "case_confirm", "case_start_review",
    "case_link_citizen", "case_create_citizen", "case_correct_identity", "case_add_dose",
    "case_use_existing_dose", "case_correct_dose", "case_send_to_police", "case_reject",
    "case_request_info", "case_provide_info", "case_withdraw", "case_open", "check_not_duplicate",
    "dose_record", "dose_correct",
    "evidence_attach", "evidence_check", "otp_send", "otp_verify",
]
