import pytest

from accounts.models import Role
from records.models import Province, Ward
from tests.factories import HCM_PROVINCE, FacilityFactory, make_user


@pytest.fixture
def hanoi_facility(db):
    return FacilityFactory(code="HN-TEST-1", name="Trạm Y tế Hoàn Kiếm")


@pytest.fixture
def hcm_facility(db):
    ward = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").first()
    return FacilityFactory(code="HCM-TEST-1", name="Trạm Y tế Sài Gòn", ward=ward)


@pytest.fixture
def clinic_user(hanoi_facility):
    """Persona: clinic staff of the Hà Nội facility (own scope)."""
    return make_user(Role.CLINIC_STAFF, username="clinic-hn", facility=hanoi_facility)


@pytest.fixture
def other_clinic_user(hcm_facility):
    """Persona: the same role in another province (outsider)."""
    return make_user(Role.CLINIC_STAFF, username="clinic-hcm", facility=hcm_facility)


@pytest.fixture
def police_user(hanoi_facility):
    """Persona: another role (commune police) in the same ward."""
    return make_user(Role.COMMUNE_POLICE, username="police-hn", ward=hanoi_facility.ward)


@pytest.fixture
def provincial_user(db):
    return make_user(Role.PROVINCIAL_OFFICER, username="province-hn", province=Province.objects.get(code=1))


@pytest.fixture
def ministry_user(db):
    return make_user(Role.MINISTRY_ANALYST, username="ministry")
