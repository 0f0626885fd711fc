"""Reading the domain core, always within the acting user's scope."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from records.models import Citizen, Facility, InjectionRecord
from vaxrecon.access import Scope


def facilities_in_scope(*, scope: Scope) -> QuerySet[Facility]:
    return Facility.objects.filter(
        scope.q(facility="pk", ward="ward", province="ward__province")
    ).select_related("ward", "ward__province")


def citizens_in_scope(*, scope: Scope) -> QuerySet[Citizen]:
    """Citizens living in the scope, or (for a facility) vaccinated there."""
    if scope.kind == "facility":
        return Citizen.objects.filter(injections__facility=scope.facility_id).distinct()
    return Citizen.objects.filter(scope.q(ward="ward", province="ward__province"))


def injections_in_scope(*, scope: Scope, current_only: bool = True) -> QuerySet[InjectionRecord]:
    qs = InjectionRecord.objects.filter(
        scope.q(facility="facility", ward="facility__ward", province="facility__ward__province")
    )
    if current_only:
        qs = qs.exclude(status=InjectionRecord.Status.SUPERSEDED)
    return qs.select_related("citizen", "vaccine", "facility")


def injection_counts_by_status(*, scope: Scope) -> dict[str, int]:
    rows = injections_in_scope(scope=scope).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
