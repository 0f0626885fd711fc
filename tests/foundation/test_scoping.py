"""Three personas: own scope, the same role elsewhere, another role."""

import pytest
from django.urls import reverse

from accounts.models import Role
from records.selectors import citizens_in_scope, facilities_in_scope, injections_in_scope
from tests.factories import InjectionRecordFactory, make_user
from vaxrecon.access import NO_SCOPE, scope_for


@pytest.fixture
def two_doses(hanoi_facility, hcm_facility):
    hanoi = InjectionRecordFactory(facility=hanoi_facility)
    hcm = InjectionRecordFactory(facility=hcm_facility, citizen__ward=hcm_facility.ward, citizen__full_name="Võ Thị Mai",
                                 citizen__sex="F", citizen__cccd="079190000001")
    return hanoi, hcm


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


def test_a_role_needs_the_scope_it_works_in(db):
    from vaxrecon.errors import InvalidInput

    with pytest.raises(InvalidInput):
        make_user(Role.COMMUNE_POLICE, username="police-without-ward")


def test_each_role_lands_on_its_home_page_with_its_scope(client, clinic_user, police_user, ministry_user, two_doses):
    for user, expected in [(clinic_user, "Trạm Y tế Hoàn Kiếm"), (police_user, "Hoàn Kiếm"),
                           (ministry_user, "Whole country")]:
        client.force_login(user)
        response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert f'data-role="{user.profile.role}"' in response.content.decode()
        assert expected in response.content.decode()


def test_the_home_page_counts_only_what_is_in_scope(client, other_clinic_user, two_doses):
    client.force_login(other_clinic_user)
    response = client.get(reverse("home"))
    assert response.context["citizen_count"] == 1
    assert response.context["facility_count"] == 1


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_login_page_is_vietnamese_by_default(client, db):
    response = client.get(reverse("login"))
    assert "Đăng nhập" in response.content.decode()


def test_logging_in_with_a_demo_account_lands_on_home(client, clinic_user):
    response = client.post(reverse("login"), {"username": "clinic-hn", "password": "pw-for-tests-only"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["scope"].facility_id == clinic_user.profile.facility_id


def test_the_admin_is_for_superusers_only(client, clinic_user):
    client.force_login(clinic_user)
    assert client.get("/admin/").status_code == 302
