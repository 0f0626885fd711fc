"""Reading the domain core, always within the acting user's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from records import normalize
from records.models import Citizen, Facility, InjectionRecord
from vaxrecon.access import Scope
from vaxrecon.errors import NotFoundInScope


def facilities_in_scope(*, scope: Scope) -> QuerySet[Facility]:
    return Facility.objects.filter(
        scope.q(facility="pk", ward="ward", province="ward__province")
    ).select_related("ward", "ward__province")


def citizens_in_scope(*, scope: Scope) -> QuerySet[Citizen]:
    """Citizens living in the scope, or (for a facility) vaccinated there."""
    if scope.kind == "facility":
        return Citizen.objects.filter(injections__facility=scope.facility_id).distinct()
    return Citizen.objects.filter(scope.q(ward="ward", province="ward__province"))


def citizens_matching(*, scope: Scope, cccd: str = "", full_name: str = "",
                      date_of_birth: date | None = None) -> QuerySet[Citizen]:
    """Citizens of the scope (``citizens_in_scope``) with this CCCD or old CMND number, or else with
    this name (accents, case and spacing ignored) and date of birth."""
    qs = citizens_in_scope(scope=scope).select_related("ward")
    if cccd:
        digits = normalize.digits_only(cccd)
        return qs.filter(Q(cccd=digits) | Q(cmnd=digits)) if digits else qs.none()
    if not full_name or date_of_birth is None:
        return qs.none()
    return qs.filter(name_key=normalize.fold_name(full_name), date_of_birth=date_of_birth)


def citizen_in_scope(*, scope: Scope, pk) -> Citizen:
    """One citizen of the scope (``citizens_in_scope``); NotFoundInScope otherwise."""
    citizen = citizens_in_scope(scope=scope).select_related("ward").filter(pk=pk).first()
    if citizen is None:
        raise NotFoundInScope(gettext("No such citizen."))
    return citizen


def injections_in_scope(*, scope: Scope, current_only: bool = True) -> QuerySet[InjectionRecord]:
    qs = InjectionRecord.objects.filter(
        scope.q(facility="facility", ward="facility__ward", province="facility__ward__province")
    )
    if current_only:
        qs = qs.exclude(status=InjectionRecord.Status.SUPERSEDED)
    return qs.select_related("citizen", "vaccine", "facility")


def injection_in_scope(*, scope: Scope, pk) -> InjectionRecord:
    """One record (any version) given in the scope, with its vaccine (its citizen and facility by
    id: one row read, not three); NotFoundInScope otherwise."""
    # by its key: no ORDER BY to compile (`.first()` would add the list's ordering)
    record = next(iter(injections_in_scope(scope=scope, current_only=False).select_related(None)
                       .select_related("vaccine").filter(pk=pk).order_by()[:1]), None)
    if record is None:
        raise NotFoundInScope(gettext("No such dose."))
    return record


def injection_counts_by_status(*, scope: Scope) -> dict[str, int]:
    rows = injections_in_scope(scope=scope).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


@dataclass(frozen=True)
class ScopeFigures:
    facility_count: int
    citizen_count: int
    injections_by_status: dict[str, int] = field(default_factory=dict)
    counted_at: datetime | None = None  # set when the figures are shared (and so may be minutes old)


def count_scope_figures(*, scope: Scope, counted_at: datetime | None = None) -> ScopeFigures:
    """Facilities, citizens and current injection records by status in the scope, counted now."""
    return ScopeFigures(facility_count=facilities_in_scope(scope=scope).count(),
                        citizen_count=citizens_in_scope(scope=scope).count(),
                        injections_by_status=injection_counts_by_status(scope=scope), counted_at=counted_at)


def scope_figures(*, scope: Scope) -> ScopeFigures:
    """The scope's figures for its home page, counted at most once per
    ``SCOPE_FIGURES_MAX_AGE`` seconds and shared through the cache (``counted_at`` says
    when); 0 counts them on every call. Counting reads every record of the scope: 10
    million for the nation, tens of thousands scattered over the table for a busy ward."""
    max_age = settings.SCOPE_FIGURES_MAX_AGE
    if max_age <= 0:
        return count_scope_figures(scope=scope)
    key = f"scope-figures:{scope.kind}:{scope.facility_id}:{scope.ward_id}:{scope.province_id}"
    figures = cache.get(key)
    if figures is None:
        figures = count_scope_figures(scope=scope, counted_at=timezone.now())
        cache.set(key, figures, timeout=max_age)
    return figures
