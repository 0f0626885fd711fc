"""factory_boy factories for the domain core and the personas."""

from __future__ import annotations

import itertools
from datetime import date

import factory

from accounts.models import Role
from accounts.services import user_create
from records.models import Citizen, Facility, InjectionRecord, VaccineProduct, Ward
from records.normalize import fold_name

HANOI_WARD = 70  # Phường Hoàn Kiếm, Hà Nội (province 1)
HCM_PROVINCE = 79


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    code = factory.Sequence(lambda n: f"FAC-{n:04d}")
    name = factory.Sequence(lambda n: f"Trạm Y tế số {n}")
    ward = factory.LazyFunction(lambda: Ward.objects.get(code=HANOI_WARD))
    is_health_station = True


class CitizenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citizen

    full_name = "Nguyễn Văn Hùng"
    name_key = factory.LazyAttribute(lambda o: fold_name(o.full_name))
    sex = "M"
    date_of_birth = date(1990, 5, 17)
    birth_year = factory.LazyAttribute(lambda o: o.date_of_birth.year if o.date_of_birth else 1990)
    cccd = factory.Sequence(lambda n: f"001090{n:06d}")
    phone = factory.Sequence(lambda n: f"09{n:08d}")
    ward = factory.LazyFunction(lambda: Ward.objects.get(code=HANOI_WARD))


class InjectionRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InjectionRecord

    citizen = factory.SubFactory(CitizenFactory)
    vaccine = factory.LazyFunction(lambda: VaccineProduct.objects.get(code="pfizer"))
    dose_number = 1
    injection_date = date(2021, 9, 1)
    lot_number = "FK1234"
    facility = factory.SubFactory(FacilityFactory)


_usernames = itertools.count(1)


def make_user(role: str, *, username: str | None = None, facility=None, ward=None, province=None):
    """A user with a role bound to a scope (through the real service)."""
    return user_create(
        username=username or f"{role}-{next(_usernames)}",
        password="pw-for-tests-only", role=role, facility=facility, ward=ward, province=province,
    )


__all__ = ["Role", "FacilityFactory", "CitizenFactory", "InjectionRecordFactory", "make_user"]
