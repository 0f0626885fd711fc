from io import StringIO

from django.core.management import call_command

from records.models import Province, VaccineProduct, Ward


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
