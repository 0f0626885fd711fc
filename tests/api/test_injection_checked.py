"""A bulk item's check (InjectionCreateIn.checked): the plainly right items are checked directly,
the others by DRF; for every item, the same validated data or the same refusal as DRF's own
run_validation — over the values a facility's software may send, right and wrong, in combination."""

from __future__ import annotations

import itertools
import random

import pytest
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from api.serializers.injections import InjectionCreateIn, ObjectField

pytestmark = pytest.mark.django_db
ABSENT = object()

VALUES = {
    "cccd": [ABSENT, "001191004567", " 001191004567\n", "00119100456", "0011910045678", "", "   ",
             "٠٠١١٩١٠٠٤٥٦٧", "00119100456a", 1191004567, None, True, ["001191004567"]],
    "citizen": [ABSENT, 1, 7, 0, -3, "7", 7.0, True, None],
    "vaccine": [ABSENT, "pfizer", "moderna", "Pfizer", "pfizer ", "", "nope", 3, None, True, ["pfizer"]],
    "dose_number": [ABSENT, 1, 3, 20, 0, 21, -1, "3", " 3 ", 3.0, 3.5, True, False, None, "three"],
    "injection_date": [ABSENT, "2022-03-15", "20220315", "2022-3-15", "2022-02-30", "2022-03-15T10:00",
                       "2022-03-15 ", "", "15/03/2022", None, 20220315, True],
    "lot_number": [ABSENT, "", "FK5127", "  FK5127  ", "   ", "x" * 30, " " + "x" * 30 + " ", "x" * 31,
                   "a\x00b", "\ud800", "lô số ba", 5127, 5.5, None, True],
    "source_record_id": [ABSENT, "", "HIS-1", "y" * 64, "y" * 65, " HIS-1 ", None, 17, "\x00"],
}


def _item(choice: dict) -> dict:
    return {name: value for name, value in choice.items() if value is not ABSENT}


def _drf(item):
    try:
        return InjectionCreateIn().run_validation(item)
    except ValidationError as refusal:
        return ("refused", refusal.detail)


def _checked(checker: InjectionCreateIn, item):
    try:
        return checker.checked(item)
    except ValidationError as refusal:
        return ("refused", refusal.detail)


def _items():
    names = list(VALUES)
    rng = random.Random(12)
    # each field's every value beside plainly right ones, then random combinations of all
    right = {"cccd": "001191004567", "citizen": ABSENT, "vaccine": "pfizer", "dose_number": 3,
             "injection_date": "2022-03-15", "lot_number": "FK5127", "source_record_id": "HIS-1"}
    for name in names:
        for value in VALUES[name]:
            yield _item({**right, name: value})
    for name_a, name_b in itertools.combinations(names, 2):
        for a, b in itertools.product(VALUES[name_a], VALUES[name_b]):
            yield _item({**right, name_a: a, name_b: b})
    for _ in range(3000):
        yield _item({name: rng.choice(VALUES[name]) for name in names})


def test_every_item_is_checked_as_drf_checks_it(reference_data):
    checker = InjectionCreateIn()  # one instance for all, as the bulk endpoint uses it
    seen_plain = seen_refused = 0
    for item in _items():
        expected = _drf(item)
        assert _checked(checker, item) == expected, item
        if isinstance(expected, tuple):
            seen_refused += 1
        else:
            seen_plain += 1
    assert seen_plain > 100 and seen_refused > 1000  # both kinds were compared


def test_items_that_are_not_objects_are_refused_as_drf_refuses_them(reference_data):
    checker = InjectionCreateIn()
    for item in (None, [], "dose", 3, [{"vaccine": "pfizer"}]):
        assert _checked(checker, item) == _drf(item)


def _as_field(field, value):
    try:
        return field.run_validation(value)
    except ValidationError as refusal:
        return ("refused", refusal.detail)


def test_a_bulk_item_is_taken_as_drfs_dict_field_takes_it():
    items = [{"cccd": "001191004567", "lot_number": None, "n": 3, "x": [1, {"y": None}], "": ""}, {}, None,
             [], "dose", 3, {"a": True}]
    for item in items:
        assert _as_field(ObjectField(), item) == _as_field(serializers.DictField(), item), item
