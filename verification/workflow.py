"""The reconciliation workflow: every state and every allowed transition, in one table.

Only `verification.services.case_transition` moves a case; each named service
(case_send_to_police, case_reject, ...) calls it. Nothing else sets `status`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review at the clinic")
    INFO_REQUESTED = "info_requested", _("More information requested")
    RECORD_UPDATED = "record_updated", _("Record updated")
    AWAITING_POLICE = "awaiting_police", _("Awaiting police verification")
    IDENTITY_VERIFIED = "identity_verified", _("Identity verified")
    IDENTITY_MISMATCH = "identity_mismatch", _("Identity does not match")
    NOT_FOUND = "not_found", _("Not found in the population database")
    FOREIGN_NATIONAL = "foreign_national", _("Foreign national: identity checked by the clinic")
    AWAITING_SIGNATURE = "awaiting_signature", _("Awaiting signature")
    SIGNED = "signed", _("Signed")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = CaseStatus
CITIZEN = "citizen"  # an unauthenticated reporter proven by a one-time code
SYSTEM = "system"  # tasks: the registry batch, imports

FINAL_STATES = frozenset({S.CLOSED, S.REJECTED, S.WITHDRAWN})
OPEN_STATES = frozenset(set(S) - FINAL_STATES)
# Which of the four steps of 8938/BYT-DP a state belongs to (for the citizen's status page).
STEP_OF_STATE = {
    S.SUBMITTED: 1, S.IN_REVIEW: 2, S.INFO_REQUESTED: 1, S.RECORD_UPDATED: 2,
    S.AWAITING_POLICE: 3, S.IDENTITY_MISMATCH: 2, S.NOT_FOUND: 3, S.FOREIGN_NATIONAL: 2,
    S.IDENTITY_VERIFIED: 3, S.AWAITING_SIGNATURE: 4, S.SIGNED: 4, S.CLOSED: 4,
    S.REJECTED: 0, S.WITHDRAWN: 0,
}


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset
    target: str
    actors: frozenset  # roles, CITIZEN or SYSTEM
    label: str


def _t(name, sources, target, actors, label) -> Transition:
    return Transition(name, frozenset(sources), target, frozenset(actors), label)


CLINIC = Role.CLINIC_STAFF
POLICE = Role.COMMUNE_POLICE
SIGNERS = {Role.SIGNER, Role.PROVINCIAL_OFFICER}

TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    _t("start_review", {S.SUBMITTED}, S.IN_REVIEW, {CLINIC}, _("Start review")),
    _t("request_info", {S.SUBMITTED, S.IN_REVIEW, S.NOT_FOUND}, S.INFO_REQUESTED, {CLINIC},
       _("Ask the citizen for more information")),
    _t("provide_info", {S.INFO_REQUESTED}, S.IN_REVIEW, {CITIZEN, CLINIC}, _("Information provided")),
    _t("update_record", {S.IN_REVIEW, S.IDENTITY_MISMATCH, S.NOT_FOUND}, S.RECORD_UPDATED, {CLINIC, SYSTEM},
       _("Record updated")),
    _t("send_to_police", {S.RECORD_UPDATED}, S.AWAITING_POLICE, {CLINIC, SYSTEM}, _("Send to police")),
    _t("verify_identity", {S.AWAITING_POLICE}, S.IDENTITY_VERIFIED, {POLICE, SYSTEM},
       _("Identity confirmed")),
    _t("report_mismatch", {S.AWAITING_POLICE}, S.IDENTITY_MISMATCH, {POLICE, SYSTEM},
       _("Identity does not match")),
    _t("report_not_found", {S.AWAITING_POLICE}, S.NOT_FOUND, {POLICE, SYSTEM}, _("Not found")),
    _t("mark_foreign", {S.AWAITING_POLICE}, S.FOREIGN_NATIONAL, {POLICE}, _("Foreign national")),
    _t("verify_foreign", {S.FOREIGN_NATIONAL}, S.IDENTITY_VERIFIED, {CLINIC},
       _("Passport checked by the clinic")),
    _t("queue_for_signature", {S.IDENTITY_VERIFIED}, S.AWAITING_SIGNATURE, {CLINIC, POLICE, SYSTEM},
       _("Queue for signature")),
    _t("sign", {S.AWAITING_SIGNATURE}, S.SIGNED, set(SIGNERS) | {SYSTEM}, _("Sign")),
    _t("close", {S.SIGNED}, S.CLOSED, {CLINIC, SYSTEM}, _("Close")),
    _t("reject", {S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED, S.IDENTITY_MISMATCH, S.NOT_FOUND,
                  S.FOREIGN_NATIONAL}, S.REJECTED, {CLINIC}, _("Reject")),
    _t("withdraw", {S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED, S.RECORD_UPDATED, S.IDENTITY_MISMATCH,
                    S.NOT_FOUND}, S.WITHDRAWN, {CITIZEN}, _("Withdrawn by the citizen")),
]}


@dataclass(frozen=True)
class Opening:
    """How a case comes into being other than by a transition: the state it opens in and who may
    open it so (a citizen's report opens through `case_submit` and the model's default state)."""

    name: str
    target: str
    actors: frozenset  # roles, CITIZEN or SYSTEM
    label: str


OPENINGS: dict[str, Opening] = {o.name: o for o in [
    # A facility log's row that matched no citizen: a case for the clinic (imports).
    Opening("import", S.SUBMITTED, frozenset({CLINIC, SYSTEM}), _("Imported from a facility's log")),
]}


def reachable_states(status: str) -> frozenset:
    """The state itself and every state the transition table can lead to from it."""
    seen, todo = {status}, [status]
    while todo:
        current = todo.pop()
        for t in TRANSITIONS.values():
            if current in t.sources and t.target not in seen:
                seen.add(t.target)
                todo.append(t.target)
    return frozenset(seen)


def allowed_transitions(status: str, actor_kind: str) -> list[Transition]:
    """The transitions an actor of this kind (role, CITIZEN or SYSTEM) may take from a state."""
    return [t for t in TRANSITIONS.values() if status in t.sources and actor_kind in t.actors]


class RejectReason(models.TextChoices):
    UNREADABLE = "unreadable", _("The evidence is unreadable")
    NO_INJECTION = "no_injection", _("No such injection in the facility's log")
    IDENTITY = "identity", _("The identity does not match")
    DUPLICATE = "duplicate", _("Duplicate of another request or dose")
    OTHER = "other", _("Other reason")


# Who the case waits for in each open state: the clinic's 48-hour clock runs in CLINIC states.
WAITING_CLINIC, WAITING_CITIZEN, WAITING_POLICE, WAITING_SIGNER = "clinic", "citizen", "police", "signer"
WAITING_ON = {
    S.SUBMITTED: WAITING_CLINIC, S.IN_REVIEW: WAITING_CLINIC, S.INFO_REQUESTED: WAITING_CITIZEN,
    S.RECORD_UPDATED: WAITING_CLINIC, S.AWAITING_POLICE: WAITING_POLICE,
    S.IDENTITY_MISMATCH: WAITING_CLINIC, S.NOT_FOUND: WAITING_CLINIC, S.FOREIGN_NATIONAL: WAITING_CLINIC,
    S.IDENTITY_VERIFIED: WAITING_SIGNER, S.AWAITING_SIGNATURE: WAITING_SIGNER,
}
# A signed case waits on no one (closing it is bookkeeping), so it has no clock either.
CLOCK_STATES = frozenset(state for state, party in WAITING_ON.items() if party == WAITING_CLINIC)
# The clinic queue's default list ("all open"): open cases someone still has to act on.
IN_PROGRESS_STATES = frozenset(OPEN_STATES - {S.SIGNED})
# States where the clinic can change the linked citizen and the doses.
EDITABLE_STATES = frozenset({S.IN_REVIEW, S.RECORD_UPDATED, S.IDENTITY_MISMATCH, S.NOT_FOUND})
# Reaching these states sends the reporting citizen an SMS.
NOTIFY_CITIZEN_ON = frozenset({S.REJECTED, S.INFO_REQUESTED, S.SIGNED})
