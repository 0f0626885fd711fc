"""Logging in: anonymous visitors go to the login page (Vietnamese first), staff land on home,
the admin is for superusers."""

from django.urls import reverse


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_login_page_is_vietnamese_by_default(client, db):
    response = client.get(reverse("login"))
    assert "Đăng nhập" in response.content.decode()


def test_logging_in_with_a_demo_account_lands_on_home(client, clinic_user):
    response = client.post(reverse("login"), {"username": "clinic-hn", "password": "pw-for-tests-only"},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["scope"].facility_id == clinic_user.profile.facility_id


def test_the_admin_is_for_superusers_only(client, clinic_user):
    client.force_login(clinic_user)
    assert client.get("/admin/").status_code == 302
