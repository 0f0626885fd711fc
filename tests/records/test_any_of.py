"""records.any_of.AnyOf: the rows `__in` selects (keys, text, none, in an OR), with the values as
one array parameter on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from records.any_of import AnyOf
from records.models import Citizen
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(reference_data):
    return [CitizenFactory(cccd=f"00119100{n:04d}") for n in range(5)] + [CitizenFactory(cccd=None)]


def _pks(queryset) -> list[int]:
    return sorted(queryset.values_list("pk", flat=True))


def test_it_selects_what_in_selects(people):
    ids = [people[0].pk, people[3].pk, people[5].pk, 10**9]
    cccds = {people[1].cccd, people[2].cccd, "999999999999"}
    assert _pks(Citizen.objects.filter(AnyOf("pk", ids))) == _pks(Citizen.objects.filter(pk__in=ids))
    assert _pks(Citizen.objects.filter(AnyOf("cccd", cccds))) == _pks(Citizen.objects.filter(cccd__in=cccds))
    either = Citizen.objects.filter(Q(AnyOf("cccd", cccds)) | Q(AnyOf("pk", ids)))
    assert _pks(either) == sorted(p.pk for p in people if p.pk in ids or p.cccd in cccds)
    assert _pks(Citizen.objects.filter(AnyOf("pk", []))) == []
    assert _pks(Citizen.objects.filter(Q(AnyOf("pk", [])) | Q(AnyOf("cccd", cccds)))) == sorted(
        p.pk for p in people if p.cccd in cccds)
    assert _pks(Citizen.objects.exclude(AnyOf("pk", ids))) == _pks(Citizen.objects.exclude(pk__in=ids))


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="one array parameter on PostgreSQL only")
def test_the_values_go_as_one_array(people):
    ids = [p.pk for p in people]
    with CaptureQueriesContext(connection) as captured:
        assert _pks(Citizen.objects.filter(AnyOf("pk", ids))) == sorted(ids)
    assert "= ANY(ARRAY[" in captured[0]["sql"] and " IN (" not in captured[0]["sql"]
