from datetime import date

from records.models import VaccineProduct
from tests.factories import CitizenFactory
from verification.services import case_add_dose, case_link_citizen


def update_record(case, user):
    """Link the reporter's citizen and add the claimed dose: the case is 'record updated'."""
    lan = CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12),
                         cccd="001191004567", phone="0912345678")
    case_link_citizen(case=case, actor=user, citizen_id=lan.pk)
    case_add_dose(case=case, actor=user, vaccine=VaccineProduct.objects.get(code="astrazeneca"),
                  dose_number=2, injection_date=date(2021, 10, 2))
    case.refresh_from_db()
    return case
