"""Base45, the UVCI check character and ICAO 9303 names: the pieces a foreign verifier reads."""

from __future__ import annotations

import os
import random
import zlib

import cbor2
import pytest

from certificates import hcert, uvci
from certificates.base45 import Base45Error, b45decode, b45encode
from certificates.translit import hcert_name, icao_transliterate


@pytest.mark.parametrize(("data", "text"), [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"),
                                            (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0")])
def test_base45_matches_the_rfc_examples(data, text):
    assert b45encode(data) == text
    assert b45decode(text) == data


def test_base45_round_trips_every_length():
    for size in range(0, 70):
        data = os.urandom(size)
        assert b45decode(b45encode(data)) == data


@pytest.mark.parametrize(("text", "says"), [("GGW", "more than two bytes"), ("A", "cannot be 1"),
                                            ("ab", "'a' at position 1")])
def test_base45_refuses_bad_text_saying_what_is_wrong(text, says):
    with pytest.raises(Base45Error, match=says):
        b45decode(text)


def test_the_uvci_check_character_matches_the_published_example():
    # The eHealth Network's example UVCI: URN:UVCI:01:SE:EHM/V12907267LAJW#E.
    assert uvci.luhn_mod_n("URN:UVCI:01:SE:EHM/V12907267LAJW") == "E"
    assert uvci.is_valid("URN:UVCI:01:SE:EHM/V12907267LAJW#E")


def test_a_new_uvci_is_vietnamese_checksummed_and_catches_one_wrong_character():
    value = uvci.new_uvci("BYT")
    assert value.startswith("URN:UVCI:01:VN:BYT/") and uvci.is_valid(value) and len(value) <= 80
    body, check = value.split("#")
    for position in range(len("URN:UVCI:"), len(body)):
        for replacement in "A0":
            if body[position] != replacement:
                typo = body[:position] + replacement + body[position + 1:]
                assert not uvci.is_valid(f"{typo}#{check}"), typo
    assert not uvci.is_valid(body) and not uvci.is_valid(value.lower())


@pytest.mark.parametrize(("name", "icao"), [
    ("Nguyễn Thị Ánh", "NGUYEN<THI<ANH"),
    ("Đặng Văn Đức", "DANG<VAN<DUC"),
    ("Trương Thị Hương", "TRUONG<THI<HUONG"),
    ("Phạm Ngọc Ơn", "PHAM<NGOC<ON"),
    ("Lê Hoàng Ănh", "LE<HOANG<ANH"),
    ("Trần Thị Ấu", "TRAN<THI<AU"),
    ("Hồ Thị Ê-Len", "HO<THI<E<LEN"),
    ("Bùi Công Ông", "BUI<CONG<ONG"),
    ("Nguyê\u0303n Thi\u0323 A\u0301nh", "NGUYEN<THI<ANH"),  # decomposed (NFD) input
    ("H'Hen Niê", "HHEN<NIE"),
])
def test_vietnamese_names_transliterate_as_icao_9303_says(name, icao):
    assert icao_transliterate(name) == icao


def test_the_name_object_splits_family_and_given_names():
    assert hcert_name("Nguyễn Thị Ánh") == {"fn": "Nguyễn", "fnt": "NGUYEN",
                                            "gn": "Thị Ánh", "gnt": "THI<ANH"}
    assert hcert_name("Sơn") == {"fn": "Sơn", "fnt": "SON"}
    assert len(icao_transliterate("Nguyễn " * 30)) == 80


@pytest.mark.parametrize("size", [0, 23, 24, 255, 256, 65535, 65536])
def test_the_hand_framed_cose_is_the_cbor_that_cbor2_writes(size):
    """The Sig_structure and the COSE_Sign1 are framed by hand around the payload (the bulk
    issue's hot path); their bytes must be what a CBOR library writes for the same structures,
    across each length form of a byte string."""
    protected, payload, signature = hcert.protected_header("ES256", b"12345678"), os.urandom(size), b"s" * 64
    assert hcert._sig_structure(protected, payload) == cbor2.dumps(["Signature1", protected, b"", payload])
    cose = zlib.decompress(b45decode(hcert.pack(protected, payload, signature)[len(hcert.PREFIX):]))
    assert cose == cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))


def test_the_uvci_check_character_is_luhn_mod_n_over_random_text():
    def by_the_book(text):  # the algorithm as the UVCI guidelines write it, one character at a time
        factor, total = 2, 0
        for char in reversed(text):
            addend = factor * uvci.CHARSET.index(char)
            factor = 1 if factor == 2 else 2
            total += addend // uvci.N + addend % uvci.N
        return uvci.CHARSET[(uvci.N - total % uvci.N) % uvci.N]

    rng = random.Random(14)
    for length in range(1, 60):
        text = "".join(rng.choice(uvci.CHARSET) for _ in range(length))
        assert uvci.luhn_mod_n(text) == by_the_book(text), text
    with pytest.raises(ValueError, match="'#' is not a UVCI character"):
        uvci.luhn_mod_n("URN:UVCI:01#")


@pytest.mark.parametrize("size", [0, 1, 400, 1024, 2048, 5000])
def test_the_certificate_zlib_is_what_zlib_writes_at_level_9(size):
    """The small-window deflate behind the usual 78 DA header: zlib reads it back, verifiers that
    look for 0x78 find it, and up to a certificate's size it is byte for byte zlib.compress(data, 9)."""
    data = (os.urandom(size // 2) + b"NGUYEN<THI<ANH " * size)[:size]
    packed = hcert._zlib(data)
    assert packed[:2] == b"\x78\xda" and zlib.decompress(packed) == data
    if size <= 1024:  # a certificate's COSE is about 400 bytes
        assert packed == zlib.compress(data, 9)
