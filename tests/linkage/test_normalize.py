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
