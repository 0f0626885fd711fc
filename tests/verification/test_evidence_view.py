"""Evidence files are served only to staff whose scope holds the case."""

from django.urls import reverse

from .conftest import JPEG


def url(case):
    return reverse("verification:evidence", args=[case.pk, case.evidence.get().pk])


def test_staff_of_the_facility_see_the_file_inline(client, clinic_user, reported_case):
    client.force_login(clinic_user)
    response = client.get(url(reported_case))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == JPEG
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_clinic_elsewhere_gets_not_found(client, other_clinic_user, reported_case):
    client.force_login(other_clinic_user)
    assert client.get(url(reported_case)).status_code == 404


def test_the_police_get_forbidden(client, police_user, reported_case):
    client.force_login(police_user)
    assert client.get(url(reported_case)).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, reported_case):
    assert client.get(url(reported_case)).status_code == 302
