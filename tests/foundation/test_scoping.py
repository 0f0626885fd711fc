"""Three personas: own scope, the same role elsewhere, another role. Every province holds two
wards and two facilities (see `doses_everywhere`), so a scope widened by one level shows."""

from django.db.models import Q

from records.selectors import citizens_in_scope, facilities_in_scope, injections_in_scope
from vaxrecon.access import FACILITY, NATION, NO_SCOPE, PROVINCE, WARD, Scope, scope_for


def seen(doses: dict, rows) -> set[str]:
    """The names (keys of `doses`) of the doses in `rows`, or of the doses whose citizens they are."""
    pks = {r.pk for r in rows}
    citizens = rows.model.__name__ == "Citizen"
    return {name for name, dose in doses.items() if (dose.citizen_id if citizens else dose.pk) in pks}


def test_clinic_staff_see_only_doses_of_their_facility(clinic_user, doses_everywhere):
    assert seen(doses_everywhere, injections_in_scope(scope=scope_for(clinic_user))) == {"own"}


def test_clinic_staff_of_another_facility_in_the_same_ward_do_not_see_our_doses(
        neighbour_clinic_user, doses_everywhere):
    scope = scope_for(neighbour_clinic_user)
    assert seen(doses_everywhere, injections_in_scope(scope=scope)) == {"same_ward"}


def test_clinic_staff_elsewhere_do_not_see_our_doses(other_clinic_user, doses_everywhere):
    assert seen(doses_everywhere, injections_in_scope(scope=scope_for(other_clinic_user))) == {"hcm"}


def test_commune_police_see_citizens_of_their_ward_only(police_user, doses_everywhere):
    assert seen(doses_everywhere, citizens_in_scope(scope=scope_for(police_user))) == {"own", "same_ward"}


def test_commune_police_of_another_ward_of_the_province_do_not_see_ours(other_ward_police, doses_everywhere):
    assert seen(doses_everywhere, citizens_in_scope(scope=scope_for(other_ward_police))) == {"same_province"}


def test_a_provincial_officer_sees_the_whole_province_and_nothing_beyond(provincial_user, doses_everywhere):
    scope = scope_for(provincial_user)
    assert seen(doses_everywhere, injections_in_scope(scope=scope)) == {"own", "same_ward", "same_province"}
    assert sorted(f.code for f in facilities_in_scope(scope=scope)) == [
        "HN-TEST-1", "HN-TEST-2", "HN-TEST-W2"]


def test_the_ministry_sees_the_nation(ministry_user, doses_everywhere):
    scope = scope_for(ministry_user)
    assert seen(doses_everywhere, injections_in_scope(scope=scope)) == set(doses_everywhere)


def test_a_user_without_a_profile_sees_nothing(db, django_user_model, doses_everywhere):
    user = django_user_model.objects.create_user("nobody", password="x")
    scope = scope_for(user)
    assert scope == NO_SCOPE
    assert injections_in_scope(scope=scope).count() == 0
    assert citizens_in_scope(scope=scope).count() == 0


def test_a_scope_the_model_has_no_path_for_sees_nothing():
    """A model without the scope's path (e.g. no province on it) is filtered to nothing, never to all."""
    nothing = Q(pk__in=[])
    assert Scope(kind=PROVINCE, province_id=1).q(facility="facility", ward="ward") == nothing
    assert Scope(kind=WARD, ward_id=70).q(facility="facility", province="ward__province") == nothing
    assert Scope(kind=FACILITY, facility_id=1).q(ward="ward", province="ward__province") == nothing
    assert Scope(kind=NATION).q() == Q()
    assert NO_SCOPE.q(facility="facility", ward="ward", province="ward__province") == nothing
