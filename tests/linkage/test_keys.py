"""Keys: digit keys, birth-date ints and ordinals, one-edit keys and name keys, vectorised
and as strings."""

import datetime as dt
import random

import numpy as np

from verification.linkage.keys import (
    as_int,
    birth_to_ints,
    digit_key,
    dob_ordinals,
    edit_variant_keys,
    edit_variants,
    int_or_zero,
    name_keys,
    one_edit_apart,
    one_edit_apart_keys,
    ordinals_to_ymd,
)


def test_vectorised_digit_helpers_agree_with_the_string_versions():
    rng = random.Random(3)
    a = [f"{rng.randrange(10**12):012d}" for _ in range(300)]
    b = []
    for v in a:
        k = rng.randrange(11)
        roll = rng.random()
        if roll < 0.3:
            b.append(v[:k] + str((int(v[k]) + 1) % 10) + v[k + 1:])
        elif roll < 0.6:
            b.append(v[:k] + v[k + 1] + v[k] + v[k + 2:])
        elif roll < 0.8:
            b.append(v[:k] + "99" + v[k + 2:])
        else:
            b.append(v[:-1])
    got = one_edit_apart_keys(np.array([digit_key(x) for x in a]), np.array([digit_key(x) for x in b]))
    assert got.tolist() == [one_edit_apart(x, y) for x, y in zip(a, b)]
    keys, owner = edit_variant_keys(np.array([digit_key("0912000001")]))
    assert sorted(str(k)[1:] for k in keys.tolist()) == sorted(set(edit_variants("0912000001")))
    days = [dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(60000)) for _ in range(500)]
    ymd = np.array([d.year * 10000 + d.month * 100 + d.day for d in days])
    assert dob_ordinals(ymd).tolist() == [d.toordinal() for d in days]
    assert ordinals_to_ymd(np.array([d.toordinal() for d in days])).tolist() == ymd.tolist()
    assert dob_ordinals(np.array([20230229, 0, 19901331])).tolist() == [0, 0, 0]


def test_a_digit_key_keeps_leading_zeros_and_is_zero_for_anything_else():
    assert digit_key("001090123456") == 1001090123456
    assert digit_key("0912") != digit_key("912")
    assert [digit_key(v) for v in ("", None, "09a1")] == [0, 0, 0]


def test_birth_dates_are_read_as_yyyymmdd_and_year():
    assert birth_to_ints(dt.date(1990, 4, 12)) == (19900412, 1990)
    assert birth_to_ints("12/04/1990") == (19900412, 1990)
    assert birth_to_ints("1990") == (0, 1990)
    assert birth_to_ints(None, 1985) == (0, 1985)
    assert birth_to_ints("not a date", "1700") == (0, 0)


def test_int_columns_read_missing_and_stray_text():
    assert [as_int(v) for v in (None, "", 79, "79", "7a")] == [0, 0, 79, 79, 0]
    assert [int_or_zero(v) for v in (None, "", "79", "7a", "x")] == [0, 0, 79, 7, 0]


def test_name_keys_fold_token_by_token_through_the_cache():
    cache = {}
    assert name_keys("  Nguyễn  Văn Hùng ", cache) == ("nguyễn văn hùng", "nguyen van hung")
    assert set(cache) == {"Nguyễn", "Văn", "Hùng"}
    assert name_keys("", cache) == ("", "")


def test_one_edit_apart_is_one_digit_or_one_adjacent_swap():
    assert one_edit_apart("123456", "123457") and one_edit_apart("123456", "123546")
    assert not one_edit_apart("123456", "123456")
    assert not one_edit_apart("123456", "654321") and not one_edit_apart("123", "1234")
