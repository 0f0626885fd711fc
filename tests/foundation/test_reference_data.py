from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command

from records.models import AuditEvent, Citizen, Facility, InjectionRecord, Province, VaccineProduct, Ward
from verification.models import ReconciliationCase


def test_all_34_provinces_and_3321_communes_are_loaded(db):
    assert Province.objects.count() == 34
    assert Ward.objects.count() == 3321
    assert Ward.objects.get(code=70).province.name == "Thành phố Hà Nội"


def test_loading_divisions_again_adds_nothing(db):
    out = StringIO()
    call_command("load_divisions", stdout=out)
    assert "34 provinces, 3321 communes/wards, 10 vaccines." in out.getvalue()
    assert Province.objects.count() == 34 and Ward.objects.count() == 3321


def test_the_vaccine_catalogue_carries_eu_dcc_codes(db):
    comirnaty = VaccineProduct.objects.get(code="pfizer")
    assert (comirnaty.eu_medicinal_product, comirnaty.eu_vaccine_type, comirnaty.eu_ma_holder) == (
        "EU/1/20/1528", "1119349007", "ORG-100030215")
    assert VaccineProduct.objects.count() == 10


def test_seed_demo_is_idempotent(db):
    out = StringIO()
    call_command("seed_demo", "--citizens", "40", stdout=out)
    counts = (User.objects.count(), Facility.objects.count(), Citizen.objects.count(), InjectionRecord.objects.count(),
              ReconciliationCase.objects.count())
    assert counts[2] == 40 and counts[3] > 40
    assert "clinic" in out.getvalue() and "vaxrecon-demo-2021" in out.getvalue()
    call_command("seed_demo", "--citizens", "40", stdout=StringIO())
    assert (User.objects.count(), Facility.objects.count(), Citizen.objects.count(),
            InjectionRecord.objects.count(), ReconciliationCase.objects.count()) == counts


def test_seeded_names_are_vietnamese_with_diacritics(db):
    call_command("seed_demo", "--citizens", "60", stdout=StringIO())
    names = list(Citizen.objects.values_list("full_name", flat=True))
    assert any(name != name.encode("ascii", "ignore").decode() for name in names)
    assert all(3 <= len(name.split()) <= 4 for name in names)
    assert AuditEvent.objects.filter(action="user.create").count() == 7


def test_seed_demo_leaves_work_waiting_at_every_step(db):
    from verification.workflow import CaseStatus

    call_command("seed_demo", "--citizens", "300", stdout=StringIO())
    statuses = sorted(ReconciliationCase.objects.values_list("status", flat=True))
    assert statuses == sorted([CaseStatus.SUBMITTED, CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW,
                               CaseStatus.AWAITING_POLICE, CaseStatus.AWAITING_POLICE, CaseStatus.AWAITING_SIGNATURE])
