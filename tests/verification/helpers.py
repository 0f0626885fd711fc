from datetime import date

from records.models import VaccineProduct
from tests.factories import CitizenFactory
from tests.verification.conftest import JPEG
from verification.services import case_add_dose, case_link_citizen


def fill_report(page, ward_id: int, *, id_number="001191004567", phone="0912 345 678",
                injection_date="02/10/2021") -> None:
    """Open the citizen's report form in Chromium and fill in Trần Thị Lan's claim of a second
    AstraZeneca dose (the vaccination site is left to the caller), with a slip attached."""
    page.goto(page.base_url + "/verification/report/")
    page.fill("#id_full_name", "Trần Thị Lan")
    page.fill("#id_date_of_birth", "12/03/1991")
    page.check("input[name=sex][value=F]")
    page.fill("#id_id_number", id_number)
    page.fill("#id_phone", phone)
    page.select_option("#id_province", "1")
    page.wait_for_selector(f"#id_ward option[value='{ward_id}']", state="attached")
    page.select_option("#id_ward", str(ward_id))
    page.select_option("#id_vaccine", "astrazeneca")
    page.select_option("#id_dose_number", "2")
    page.fill("#id_injection_date", injection_date)
    page.set_input_files("#id_evidence", files=[{"name": "phieu-tiem.jpg", "mimeType": "image/jpeg",
                                                 "buffer": JPEG}])


def update_record(case, user):
    """Link the reporter's citizen and add the claimed dose: the case is 'record updated'."""
    lan = CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12),
                         cccd="001191004567", phone="0912345678")
    case_link_citizen(case=case, actor=user, citizen_id=lan.pk)
    case_add_dose(case=case, actor=user, vaccine=VaccineProduct.objects.get(code="astrazeneca"),
                  dose_number=2, injection_date=date(2021, 10, 2))
    case.refresh_from_db()
    return case


def confirm_and_link(page, row, reason: str) -> None:
    """In Chromium, tick a candidate's confirmation that the differing fields were checked, say
    why, and press its 'This is the person'."""
    row.locator("input[name=confirm]").check()
    row.locator("textarea[name=reason]").fill(reason)
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
