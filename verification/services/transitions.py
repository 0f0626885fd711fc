"""Moving reconciliation cases through the workflow. The one place a case's status changes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from records.audit import record_event, snapshot
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidTransition, NotAllowed, NotFoundInScope
from verification import workflow
from verification.models import CaseEvent, ReconciliationCase
from verification.selectors import case_scope_q

AUDITED_FIELDS = ["status", "citizen", "facility", "full_name", "date_of_birth", "birth_year", "sex",
                  "id_number", "phone", "ward", "reject_reason", "reject_note", "info_request",
                  "police_values", "claimed_by", "claim_expires_at", "closed_at"]


def actor_kind_of(actor) -> str:
    """The kind of actor for the transition table: a role, CITIZEN or SYSTEM."""
    if actor in (workflow.CITIZEN, workflow.SYSTEM):
        return actor
    return scope_for(actor).role


def case_transition(
    *,
    case: ReconciliationCase | int,
    name: str,
    actor,
    message: str = "",
    data: dict[str, Any] | None = None,
    updates: dict[str, Any] | None = None,
) -> ReconciliationCase:
    """Take transition `name` on a case, as `actor` (a user, or workflow.CITIZEN / SYSTEM).

    Locks the row, checks the transition is allowed from the current state for this kind
    of actor and (for users) that the case is in their scope, applies `updates`, saves,
    and writes a timeline event and an audit event. Returns the updated case.
    Raises NotFoundInScope, NotAllowed or InvalidTransition with a user-facing message.
    """
    transition = workflow.TRANSITIONS[name]
    kind = actor_kind_of(actor)
    pk = case.pk if isinstance(case, ReconciliationCase) else case
    with transaction.atomic():
        qs = ReconciliationCase.objects.select_for_update()
        if kind not in (workflow.CITIZEN, workflow.SYSTEM):
            # Outside the scope looks the same as absent.
            qs = qs.filter(case_scope_q(scope_for(actor)))
        locked = qs.filter(pk=pk).first()
        if locked is None:
            raise NotFoundInScope(_("No such case."))
        if kind not in transition.actors:
            raise NotAllowed(_("Your role cannot do this: %(action)s.") % {"action": transition.label})
        if locked.status not in transition.sources:
            raise InvalidTransition(
                _("A case that is “%(state)s” cannot go to “%(target)s”.")
                % {"state": workflow.CaseStatus(locked.status).label,
                   "target": workflow.CaseStatus(transition.target).label}
            )
        before = snapshot(locked, AUDITED_FIELDS)
        previous = locked.status
        for field, value in (updates or {}).items():
            setattr(locked, field, value)
        locked.status = transition.target
        if transition.target in workflow.FINAL_STATES:
            locked.closed_at = timezone.now()
        if transition.target != workflow.CaseStatus.AWAITING_POLICE:
            locked.claimed_by, locked.claim_expires_at = None, None
        locked.save()
        user = actor if getattr(actor, "is_authenticated", False) else None
        label = user.get_username() if user else kind
        CaseEvent.objects.create(case=locked, actor=user, actor_label=label, transition=name,
                                 from_status=previous, to_status=transition.target, message=message,
                                 data=data or {})
        record_event(actor=user, actor_label=label, action=f"case.{name}", obj=locked, before=before,
                     after=snapshot(locked, AUDITED_FIELDS))
        if transition.target in workflow.NOTIFY_CITIZEN_ON and locked.phone and locked.confirmed:
            from verification.tasks import notify_citizen

            case_id, state = locked.pk, transition.target
            transaction.on_commit(lambda: notify_citizen.delay(case_id, state))
    return locked


def case_event(*, case: ReconciliationCase, actor, action: str, message: str = "",
               data: dict[str, Any] | None = None, before: dict | None = None,
               after: dict | None = None) -> CaseEvent:
    """A timeline entry and an audit event for a change that does not move the state
    (a citizen linked, a dose added while the record is already updated, a joined report).
    Call inside the caller's transaction; returns the timeline event."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = user.get_username() if user else str(actor_kind_of(actor) if actor else workflow.SYSTEM)
    event = CaseEvent.objects.create(case=case, actor=user, actor_label=label, transition="",
                                     from_status=case.status, to_status=case.status, message=message,
                                     data={"action": action, **(data or {})})
    record_event(actor=user, actor_label=label, action=f"case.{action}", obj=case, before=before,
                 after=after if after is not None else snapshot(case, AUDITED_FIELDS))
    return event
