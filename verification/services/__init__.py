"""Services that write reconciliation cases: the one place a case changes.

`transitions` holds the single state-changing primitive; `cases` the named steps of the
procedure built on it; `otp`, `evidence` and `notify` the citizen-facing parts.
Import from here: `from verification.services import case_transition, case_reject`.
"""

from verification.services.transitions import AUDITED_FIELDS, actor_kind_of, case_event, case_transition

__all__ = ["AUDITED_FIELDS", "actor_kind_of", "case_event", "case_transition"]

from verification.services.cases import *  # noqa: E402,F401,F403
from verification.services.cases import __all__ as _cases_all  # noqa: E402
from verification.services.evidence import evidence_attach, evidence_check  # noqa: E402
from verification.services.otp import otp_send, otp_verify  # noqa: E402

__all__ += [*_cases_all, "evidence_attach", "evidence_check", "otp_send", "otp_verify"]
