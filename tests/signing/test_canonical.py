from __future__ import annotations

import datetime as dt
import random
import unicodedata

import pytest
import rfc8785

from signing.canonical import (
    PAYLOAD_SCHEMA,
    build_payload,
    canonical_json,
    canonical_payload,
    payload_hash,
    police_fragment,
    record_payload_fast,
)
from signing.errors import PayloadError

ICT = dt.timezone(dt.timedelta(hours=7))


def _parts(**changes):
    record = {"id": 101, "version": 2, "previous_id": 57, "vaccine": "comirnaty",
              "dose_number": 2, "injection_date": dt.date(2021, 9, 14), "lot_number": "FG3527",
              "facility": "HN-TYT-HOANKIEM"}
    identity = {"full_name": "Nguyễn Thị Hồng Nhung", "sex": "F",
                "date_of_birth": dt.date(1987, 3, 5), "birth_year": 1987, "cccd": "001187012345",
                "nationality": "VN"}
    police = {"reference": "CA-HK-2021-000981", "result": "match",
              "verified_at": dt.datetime(2021, 10, 25, 16, 30, tzinfo=ICT), "ward": 70}
    for section, values in changes.items():
        {"record": record, "identity": identity, "police": police}[section].update(values)
    return {"record": record, "identity": identity, "police_verification": police}


def test_the_payload_is_compact_json_with_sorted_keys():
    data = canonical_json(build_payload(**_parts()))
    assert data.startswith(b'{"identity":{"birth_year":1987,"cccd":"001187012345",')
    assert b" " not in data.replace("Nguyễn Thị Hồng Nhung".encode(), b"")
    assert f'"schema":"{PAYLOAD_SCHEMA}"'.encode() in data


def test_the_same_data_in_another_key_order_gives_the_same_bytes():
    parts = _parts()
    shuffled = {k: dict(reversed(list(v.items()))) for k, v in reversed(list(parts.items()))}
    assert canonical_json(build_payload(**parts)) == canonical_json(build_payload(**shuffled))


def test_a_decomposed_vietnamese_name_signs_as_the_precomposed_name():
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung")
    assert nfd != "Nguyễn Thị Hồng Nhung"
    decomposed = build_payload(**_parts(identity={"full_name": nfd}))
    assert canonical_json(decomposed) == canonical_json(build_payload(**_parts()))


def test_dates_are_iso_and_date_times_are_utc_with_z():
    payload = build_payload(**_parts())
    assert payload["record"]["injection_date"] == "2021-09-14"
    assert payload["police_verification"]["verified_at"] == "2021-10-25T09:30:00.000000Z"


def test_any_change_to_a_field_changes_the_hash():
    base = payload_hash(canonical_json(build_payload(**_parts())))
    changed = payload_hash(canonical_json(build_payload(**_parts(record={"lot_number": "FG3528"}))))
    assert base != changed


def test_the_hash_is_lowercase_hex_sha256():
    assert payload_hash(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_an_unknown_field_is_refused_rather_than_signed():
    with pytest.raises(PayloadError, match="record: unknown field.*phone"):
        build_payload(**_parts(record={"phone": "0912345678"}))


def test_a_missing_field_is_refused_rather_than_signed_as_absent():
    parts = _parts()
    del parts["identity"]["cccd"]
    with pytest.raises(PayloadError, match="identity: missing field.*cccd"):
        build_payload(**parts)


def test_a_date_time_without_timezone_is_refused():
    with pytest.raises(PayloadError, match="timezone"):
        build_payload(**_parts(police={"verified_at": dt.datetime(2021, 10, 25, 16, 30)}))


def test_a_float_is_refused():
    with pytest.raises(PayloadError, match="decimal numbers"):
        build_payload(**_parts(record={"dose_number": 2.0}))


AWKWARD_TEXT = ["", "\"quoted\" and \\back\\slash", "".join(map(chr, range(0x20))), "del\x7f",
                "line\u2028para\u2029", "emoji 😷💉", "</script>&<>", "Đặng Thị Ngọc Ánh",
                "tab\tnew\nline\rcr\bbs\fff", "\ufeffbom", "math 𝔸𝔹"]


def test_the_fast_encoder_writes_exactly_what_rfc8785_writes():
    cases = [_parts()]
    for i, text in enumerate(AWKWARD_TEXT):
        cases.append(_parts(identity={"full_name": text, "cccd": text[::-1],
                                      "birth_year": [0, -1, 2**53 - 1, 1987][i % 4]},
                            record={"lot_number": text, "facility": None, "previous_id": None},
                            police={"officer": text, "result": i % 2 == 0}))
    for parts in cases:
        fast = canonical_payload(**parts)
        assert fast == rfc8785.dumps(build_payload(**parts))
        assert fast == canonical_json(build_payload(**parts))


def test_text_that_is_not_valid_unicode_is_refused():
    with pytest.raises(PayloadError, match="not valid Unicode"):
        build_payload(**_parts(identity={"full_name": "broken \udc80"}))


def test_an_integer_beyond_json_precision_is_refused():
    with pytest.raises(PayloadError, match="too large"):
        build_payload(**_parts(record={"id": 2**53}))


# --- the batch fast path: precompiled template, byte-identical to canonical_payload ----

_AWKWARD = ["Nguyễn Thị Ánh Tuyết", "Trần Văn Đức", "Ngô Bảo Châu", "Phạm Thị Hường",
            "Nguye\u0302\u0303n", "O'Brien \"Jr\"", "back\\slash", "tab\there", "new\nline",
            "cr\rlf", "\x00\x01\x07\x1f\x7f", "\u2028\u2029", "emoji 💉", "/slash/", "", " ",
            "\ufeffBOM", "a\u0301", "ẞ", "日本"]


def _random_text(rnd, *, allow_none=False):
    if allow_none and rnd.random() < 0.15:
        return None
    pool = "".join(_AWKWARD) + "abcxyzABCĐđƯưƠơ0123456789\"\\\b\f\n\r\t"
    if rnd.random() < 0.4:
        return rnd.choice(_AWKWARD)
    return "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 24)))


def _random_record(rnd):
    def date_or_none():
        return None if rnd.random() < 0.2 else dt.date(rnd.randint(1900, 2030), rnd.randint(1, 12),
                                                        rnd.randint(1, 28))

    row = (rnd.randint(1, 2**53 - 1), rnd.randint(1, 9),
           None if rnd.random() < 0.7 else rnd.randint(1, 10**9),
           _random_text(rnd), rnd.randint(0, 9), dt.date(2021, rnd.randint(1, 12), rnd.randint(1, 28)),
           _random_text(rnd), _random_text(rnd, allow_none=True),
           _random_text(rnd), rnd.choice(["M", "F"]), date_or_none(), rnd.randint(1900, 2030),
           _random_text(rnd, allow_none=True), _random_text(rnd, allow_none=True), _random_text(rnd),
           rnd.choice(["VN", "US", "\u00c0\""]))
    when = dt.datetime(2021, 10, 1, 8, 0, rnd.randint(0, 59), rnd.randint(0, 999999),
                       tzinfo=dt.timezone(dt.timedelta(hours=rnd.choice([0, 7, -5]))))
    police = dict(reference=_random_text(rnd), result=rnd.choice(["match", "foreign", "x\"y"]),
                  verified_at=when, ward=rnd.choice([None, rnd.randint(1, 40000)]),
                  officer=rnd.choice([None, rnd.randint(1, 10**6)]))
    return row, police, police_fragment(**police)


def test_the_record_template_writes_exactly_what_canonical_payload_and_rfc8785_write():
    rnd = random.Random(20211001)
    for _ in range(3000):
        row, police, fragment = _random_record(rnd)
        (rid, version, previous_id, vaccine, dose_number, injection_date, lot_number, facility,
         full_name, sex, dob, birth_year, dob_precision, cccd, cmnd, nationality) = row
        record = {"id": rid, "version": version, "previous_id": previous_id, "vaccine": vaccine,
                  "dose_number": dose_number, "injection_date": injection_date, "lot_number": lot_number,
                  "facility": facility}
        identity = {"full_name": full_name, "sex": sex, "date_of_birth": dob, "birth_year": birth_year,
                    "dob_precision": dob_precision, "cccd": cccd, "cmnd": cmnd, "nationality": nationality}
        pv = {"reference": police["reference"], "result": police["result"],
              "verified_at": police["verified_at"], "ward": police["ward"], "officer": police["officer"]}
        fast = record_payload_fast(row, fragment)
        assert fast == canonical_payload(record=record, identity=identity, police_verification=pv)
        assert fast == rfc8785.dumps(build_payload(record=record, identity=identity, police_verification=pv))


def test_the_record_template_refuses_what_the_reference_refuses():
    fragment = police_fragment(reference="R1", result="match",
                               verified_at=dt.datetime(2021, 1, 1, tzinfo=dt.UTC), ward=1, officer=None)
    row = [1, 1, None, "astra", 1, dt.date(2021, 5, 1), "A1", None, "Tên", "M", None, 1990, "year",
           None, "", "VN"]
    with pytest.raises(PayloadError):
        record_payload_fast([2**53, *row[1:]], fragment)
    with pytest.raises(PayloadError):
        record_payload_fast([*row[:8], "lone \ud800", *row[9:]], fragment)
    with pytest.raises(PayloadError):
        police_fragment(reference="R1", result="match", verified_at=dt.datetime(2021, 1, 1), ward=1,
                        officer=None)
