"""The citizen's status page: the step, initials only until a code proves the phone."""

from django.urls import reverse

from verification.services import case_reject

from .conftest import last_code


def test_a_stranger_with_the_code_sees_the_step_but_only_initials(client, reported_case):
    response = client.get(reverse("verification:status", args=[reported_case.tracking_code]))
    assert response.status_code == 200
    assert "T.T.L." in response.text and "Trần Thị Lan" not in response.text
    assert "001191004567" not in response.text and "0912345678" not in response.text
    assert 'aria-current="step"' in response.text


def test_the_code_from_the_sms_unlocks_the_details(client, reported_case):
    url = reverse("verification:status", args=[reported_case.tracking_code])
    client.post(reverse("verification:status_code", args=[reported_case.tracking_code]), {"send": "1"})
    page = client.get(url)
    assert 'name="code"' in page.text
    client.post(reverse("verification:status_code", args=[reported_case.tracking_code]),
                {"code": last_code()})
    unlocked = client.get(url)
    assert "Trần Thị Lan" in unlocked.text and "NJ0342" not in unlocked.text


def test_a_rejection_is_explained_in_plain_words(client, reported_case, clinic_user):
    case_reject(case=reported_case, actor=clinic_user, reason="unreadable")
    response = client.get(reverse("verification:status", args=[reported_case.tracking_code]))
    assert "The evidence is unreadable" in response.text


def test_an_unknown_tracking_code_is_not_found(client, db):
    assert client.get(reverse("verification:status", args=["ACDEFGHJKMNP"])).status_code == 404
    lookup = client.get(reverse("verification:status_lookup"), {"code": "nonsense"})
    assert "No request has this tracking code" in lookup.text


def test_the_lookup_accepts_lowercase_and_spaces(client, reported_case):
    code = reported_case.tracking_code
    response = client.get(reverse("verification:status_lookup"), {"code": f"{code[:4].lower()} {code[4:]}"})
    assert response.status_code == 302 and response.url.endswith(f"/{code}/")


def test_withdrawing_needs_the_code_first(client, reported_case):
    url = reverse("verification:status_withdraw", args=[reported_case.tracking_code])
    client.post(url)
    reported_case.refresh_from_db()
    assert reported_case.status == "submitted"
    client.post(reverse("verification:status_code", args=[reported_case.tracking_code]), {"send": "1"})
    client.post(reverse("verification:status_code", args=[reported_case.tracking_code]),
                {"code": last_code()})
    client.post(url)
    reported_case.refresh_from_db()
    assert reported_case.status == "withdrawn"
