"""Every transition pinned: its exact sources, target and actors, as the procedure has them, and
the one-case service refusing every other source state and every other kind of actor. An extra
source state, a wider set of actors or another target fails here."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.models import Role
from tests.factories import make_user
from vaxrecon.errors import InvalidTransition, NotAllowed
from verification import workflow
from verification.models import ReconciliationCase
from verification.services.transitions import case_lock, case_transition_locked

S = workflow.CaseStatus
CLINIC, POLICE, SIGNER, PROVINCE, MINISTRY = (Role.CLINIC_STAFF, Role.COMMUNE_POLICE, Role.SIGNER,
                                              Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST)
CITIZEN, SYSTEM = workflow.CITIZEN, workflow.SYSTEM

PINNED = {
    # name: (sources, target, actors)
    "start_review": ({S.SUBMITTED}, S.IN_REVIEW, {CLINIC}),
    "request_info": ({S.SUBMITTED, S.IN_REVIEW, S.NOT_FOUND}, S.INFO_REQUESTED, {CLINIC}),
    "provide_info": ({S.INFO_REQUESTED}, S.IN_REVIEW, {CITIZEN, CLINIC}),
    "update_record": ({S.IN_REVIEW, S.IDENTITY_MISMATCH, S.NOT_FOUND}, S.RECORD_UPDATED, {CLINIC, SYSTEM}),
    "send_to_police": ({S.RECORD_UPDATED}, S.AWAITING_POLICE, {CLINIC, SYSTEM}),
    "verify_identity": ({S.AWAITING_POLICE}, S.IDENTITY_VERIFIED, {POLICE, SYSTEM}),
    "report_mismatch": ({S.AWAITING_POLICE}, S.IDENTITY_MISMATCH, {POLICE, SYSTEM}),
    "report_not_found": ({S.AWAITING_POLICE}, S.NOT_FOUND, {POLICE, SYSTEM}),
    "mark_foreign": ({S.AWAITING_POLICE}, S.FOREIGN_NATIONAL, {POLICE}),
    "verify_foreign": ({S.FOREIGN_NATIONAL}, S.IDENTITY_VERIFIED, {CLINIC}),
    "queue_for_signature": ({S.IDENTITY_VERIFIED}, S.AWAITING_SIGNATURE, {CLINIC, POLICE, SYSTEM}),
    "sign": ({S.AWAITING_SIGNATURE}, S.SIGNED, {SIGNER, PROVINCE, SYSTEM}),
    "close": ({S.SIGNED}, S.CLOSED, {CLINIC, SYSTEM}),
    "reject": ({S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED, S.IDENTITY_MISMATCH, S.NOT_FOUND,
                S.FOREIGN_NATIONAL}, S.REJECTED, {CLINIC}),
    "withdraw": ({S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED, S.RECORD_UPDATED, S.IDENTITY_MISMATCH,
                  S.NOT_FOUND}, S.WITHDRAWN, {CITIZEN}),
}
KINDS = (CLINIC, POLICE, SIGNER, PROVINCE, MINISTRY, CITIZEN, SYSTEM)


def test_the_table_is_exactly_the_pinned_one():
    table = {name: (set(t.sources), t.target, set(t.actors)) for name, t in workflow.TRANSITIONS.items()}

    assert table == PINNED


@pytest.fixture
def actors(hanoi_facility) -> dict:
    """One actor of each kind; the role users belong where the case is (Hà Nội)."""
    ward = hanoi_facility.ward
    return {CLINIC: make_user(CLINIC, username="pin-clinic", facility=hanoi_facility),
            POLICE: make_user(POLICE, username="pin-police", ward=ward),
            SIGNER: make_user(SIGNER, username="pin-signer", ward=ward),
            PROVINCE: make_user(PROVINCE, username="pin-province", province=ward.province),
            MINISTRY: make_user(MINISTRY, username="pin-ministry"),
            CITIZEN: CITIZEN, SYSTEM: SYSTEM}


@pytest.fixture
def case(hanoi_facility):
    return ReconciliationCase.objects.create(
        origin=ReconciliationCase.Origin.CLINIC_ENTRY, full_name="Lê Văn Tám", birth_year=1980, sex="M",
        ward=hanoi_facility.ward, facility=hanoi_facility, confirmed=True)


def _take(case, name: str, actor, status: str):
    """Take ``name`` on ``case`` put in ``status``, past the scope (the guards are what is tested);
    rolled back. Returns the status reached or the error raised."""
    ReconciliationCase.objects.filter(pk=case.pk).update(status=status)
    try:
        with transaction.atomic():
            locked = case_lock(case=case, actor=SYSTEM)
            moved = case_transition_locked(case=locked, name=name, actor=actor)
            transaction.set_rollback(True)
            return moved.status
    except (InvalidTransition, NotAllowed) as exc:
        return type(exc)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PINNED))
def test_each_transition_moves_only_from_its_sources_to_its_target(case, actors, name):
    sources, target, allowed = PINNED[name]
    actor = actors[sorted(allowed)[0]]

    reached = {status: _take(case, name, actor, status) for status in S}

    assert reached == {status: target if status in sources else InvalidTransition for status in S}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PINNED))
def test_each_transition_is_taken_only_by_its_actors(case, actors, name):
    sources, target, allowed = PINNED[name]
    source = sorted(sources)[0]

    taken = {kind: _take(case, name, actors[kind], source) for kind in KINDS}

    assert taken == {kind: target if kind in allowed else NotAllowed for kind in KINDS}
