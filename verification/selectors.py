"""Reading cases, always within the acting user's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from records.models import Facility
from vaxrecon.access import FACILITY, NATION, PROVINCE, WARD, Scope
from verification.models import ReconciliationCase


def case_scope_q(scope: Scope) -> Q:
    """Which cases a scope answers for.

    A facility sees its own cases; a commune health station also sees the cases of its
    commune that name no facility. A ward (police, commune signer) sees the cases of the
    people living there; a province, those of its communes and facilities.
    """
    if scope.kind == NATION:
        return Q()
    if scope.kind == PROVINCE:
        return Q(ward__province=scope.province_id) | Q(facility__ward__province=scope.province_id)
    if scope.kind == WARD:
        return Q(ward=scope.ward_id)
    if scope.kind == FACILITY:
        q = Q(facility=scope.facility_id)
        if Facility.objects.filter(pk=scope.facility_id, is_health_station=True).exists():
            q |= Q(facility__isnull=True, ward=scope.ward_id)
        return q
    return Q(pk__in=[])


def cases_in_scope(*, scope: Scope) -> QuerySet[ReconciliationCase]:
    return ReconciliationCase.objects.filter(case_scope_q(scope)).select_related(
        "ward", "ward__province", "facility", "citizen"
    )


def case_in_scope(*, scope: Scope, pk) -> ReconciliationCase:
    """One case by id; NotFoundInScope when absent or outside the scope (the same answer)."""
    from vaxrecon.errors import NotFoundInScope

    case = cases_in_scope(scope=scope).filter(pk=pk).first()
    if case is None:
        raise NotFoundInScope("No such case.")
    return case
