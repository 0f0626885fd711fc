"""Three personas: own scope, the same role elsewhere, another role."""

from records.selectors import citizens_in_scope, facilities_in_scope, injections_in_scope
from vaxrecon.access import NO_SCOPE, scope_for


def test_clinic_staff_see_only_doses_of_their_facility(clinic_user, two_doses):
    hanoi, hcm = two_doses
    assert list(injections_in_scope(scope=scope_for(clinic_user))) == [hanoi]


def test_clinic_staff_elsewhere_do_not_see_our_doses(other_clinic_user, two_doses):
    hanoi, hcm = two_doses
    assert list(injections_in_scope(scope=scope_for(other_clinic_user))) == [hcm]


def test_commune_police_see_citizens_of_their_ward_only(police_user, two_doses):
    hanoi, hcm = two_doses
    assert list(citizens_in_scope(scope=scope_for(police_user))) == [hanoi.citizen]


def test_a_provincial_officer_sees_the_whole_province_and_nothing_beyond(provincial_user, two_doses):
    hanoi, hcm = two_doses
    scope = scope_for(provincial_user)
    assert list(injections_in_scope(scope=scope)) == [hanoi]
    assert [f.code for f in facilities_in_scope(scope=scope)] == ["HN-TEST-1"]


def test_the_ministry_sees_the_nation(ministry_user, two_doses):
    assert injections_in_scope(scope=scope_for(ministry_user)).count() == 2


def test_a_user_without_a_profile_sees_nothing(db, django_user_model, two_doses):
    user = django_user_model.objects.create_user("nobody", password="x")
    scope = scope_for(user)
    assert scope == NO_SCOPE
    assert injections_in_scope(scope=scope).count() == 0
    assert citizens_in_scope(scope=scope).count() == 0
