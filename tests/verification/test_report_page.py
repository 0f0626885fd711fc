"""The public report form and its confirmation page."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from verification.models import ReconciliationCase

from .conftest import JPEG, last_code


def form_data(site, **overrides):
    facility = site
    data = {"full_name": "Trần Thị Lan", "date_of_birth": "12/03/1991", "sex": "F",
            "id_number": "001191004567", "phone": "0912 345 678",
            "province": str(facility.ward.province_id), "ward": str(facility.ward_id),
            "vaccine": "astrazeneca", "dose_number": "2", "injection_date": "02/10/2021",
            "facility_query": "Hoàn Kiếm", "facility": str(facility.pk), "lot_number": "NJ0342",
            "evidence": [SimpleUploadedFile("slip.jpg", JPEG, content_type="image/jpeg")]}
    data.update(overrides)
    return data


def test_the_form_opens_without_an_account(client, reference_data):
    response = client.get(reverse("verification:report"))
    assert response.status_code == 200
    assert 'name="full_name"' in response.text and 'enctype="multipart/form-data"' in response.text


def test_a_report_sends_a_code_and_the_code_confirms_it(client, hanoi_facility, sms_outbox):
    response = client.post(reverse("verification:report"), form_data(hanoi_facility))
    assert response.status_code == 302 and response.url == reverse("verification:report_confirm")
    assert "091•••••678" not in sms_outbox[0].text
    page = client.get(response.url)
    assert "091" in page.text and "678" in page.text and "0912345678" not in page.text
    done = client.post(response.url, {"code": last_code()}, follow=True)
    case = ReconciliationCase.objects.get(confirmed=True)
    assert done.redirect_chain[-1][0] == reverse("verification:status", args=[case.tracking_code])
    assert case.tracking_code in done.text and "Trần Thị Lan" in done.text  # unlocked by the code


def test_errors_keep_what_was_typed_and_name_the_field(client, hanoi_facility):
    response = client.post(reverse("verification:report"), form_data(hanoi_facility, id_number="001091004567",
                                                                      evidence=[]))
    assert response.status_code == 400
    assert "Trần Thị Lan" in response.text and "001091004567" in response.text
    assert "CCCD digit 4" in response.text
    assert not ReconciliationCase.objects.exists()


def test_a_fake_image_is_refused_on_the_evidence_field(client, hanoi_facility):
    fake = SimpleUploadedFile("slip.jpg", b"%!PS-Adobe" + b"0" * 30, content_type="image/jpeg")
    response = client.post(reverse("verification:report"), form_data(hanoi_facility, evidence=[fake]))
    assert response.status_code == 400 and "not a JPEG, PNG or PDF" in response.text
    assert not ReconciliationCase.objects.exists()


def test_a_site_must_be_chosen_or_declared_unknown(client, hanoi_facility):
    response = client.post(reverse("verification:report"), form_data(hanoi_facility, facility=""))
    assert response.status_code == 400 and "Choose the vaccination site" in response.text
    assert "Trạm Y tế Hoàn Kiếm" in response.text  # the search results are shown again


def test_a_wrong_code_says_how_many_tries_are_left(client, hanoi_facility):
    client.post(reverse("verification:report"), form_data(hanoi_facility))
    code = last_code()
    response = client.post(reverse("verification:report_confirm"),
                           {"code": "000000" if code != "000000" else "1"})
    assert response.status_code == 400 and "2 tries left" in response.text


def test_facility_search_ignores_accents_and_searches_the_commune(client, hanoi_facility, hcm_facility):
    response = client.get(reverse("verification:facility_search"), {"facility_query": "tram y te hoan kiem"})
    assert "Trạm Y tế Hoàn Kiếm" in response.text and "Sài Gòn" not in response.text
    by_province = client.get(reverse("verification:facility_search"),
                             {"facility_query": "tram", "province": str(hcm_facility.ward.province_id)})
    assert "Sài Gòn" in by_province.text and "Hoàn Kiếm" not in by_province.text


def test_ward_options_follow_the_province(client, hanoi_facility):
    response = client.get(reverse("verification:ward_options"), {"province": "1"})
    assert "Hoàn Kiếm" in response.text


def test_the_guidance_page_explains_the_four_fields(client, db):
    response = client.get(reverse("verification:guide"))
    assert response.status_code == 200 and "CCCD" in response.text
