"""Normalisation of the messy values typed from paper logs."""

import unicodedata

from records.normalize import (
    accent_key,
    fold_name,
    normalize_id,
    normalize_name,
    normalize_phone,
    parse_birth_date,
)


def test_it_folds_a_name_typed_in_decomposed_unicode_like_the_composed_one():
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn Đức")
    assert fold_name(nfd) == fold_name("Nguyễn Văn Đức") == "nguyen van duc"
    assert accent_key(nfd) == accent_key("Nguyễn Văn Đức")


def test_it_treats_no_break_spaces_and_runs_of_spaces_as_one_space():
    assert fold_name("  Nguyễn\u00a0\u00a0Văn   Hùng ") == "nguyen van hung"
    assert normalize_name("Trần\u00a0Thị  Lan") == "Trần Thị Lan"


def test_it_reads_the_icelandic_eth_as_vietnamese_d():
    assert fold_name("\u00d0Ỗ THỊ HÀ") == "do thi ha"
    assert accent_key("\u00d0ỗ Thị Hà") == accent_key("Đỗ Thị Hà")


def test_it_title_cases_a_name_typed_in_capitals_and_keeps_accents():
    assert normalize_name("NGUYỄN THỊ KIM NGA") == "Nguyễn Thị Kim Nga"
    assert accent_key("PHẠM HỮU THÁI") == "phạm hữu thái"


def test_it_brings_international_and_spaced_phones_to_the_national_form():
    assert normalize_phone("+84912345678") == "0912345678"
    assert normalize_phone("84 912 345 678") == "0912345678"
    assert normalize_phone("0084-912-345-678") == "0912345678"
    assert normalize_phone("0912.345.678") == "0912345678"


def test_it_tells_a_cccd_from_a_cmnd():
    assert normalize_id(" 001 090 123 456 ").cccd == "001090123456"
    assert normalize_id("123456789").cmnd == "123456789"


def test_it_keeps_a_year_only_birth_date_as_a_year():
    parsed = parse_birth_date("1977")
    assert (parsed.year, parsed.precision, parsed.value) == (1977, "year", None)
    assert parse_birth_date("05/03/1980").value.isoformat() == "1980-03-05"


def test_vectorised_digit_helpers_agree_with_the_string_versions():
    import datetime as dt
    import random

    import numpy as np

    from verification.linkage.index import (
        digit_key,
        dob_ordinals,
        edit_variant_keys,
        edit_variants,
        one_edit_apart_keys,
        ordinals_to_ymd,
    )
    from verification.linkage.scoring import one_edit_apart

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
