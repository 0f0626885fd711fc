"""The incoming side: a record normalised once (:class:`Probe`), and a batch of them as
columns keyed like the index (:class:`ProbeBatch`), which blocking and scoring both read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from records.normalize import normalize_id, normalize_phone

from .keys import SEX_CODES, SEX_UNKNOWN, birth_to_ints, digit_key, dob_ordinals, int_or_zero, name_keys


@dataclass(slots=True)
class Probe:
    """An incoming record, normalised once before it is compared with its candidates."""

    accent: str = ""
    folded: str = ""
    tokens: tuple[str, ...] = ()
    sorted_folded: str = ""
    has_marks: bool = False
    dob: int = 0  # yyyymmdd when the full date is known
    year: int = 0
    sex: int = SEX_UNKNOWN
    cccd: str = ""
    cmnd: str = ""
    phone: str = ""
    ward: int = 0
    province: int = 0

    def as_tuple(self) -> tuple:
        """The fields in declaration order: ``Probe(*p.as_tuple()) == p``. Plain tuples
        pickle several times faster than the dataclass (batches cross processes)."""
        return (self.accent, self.folded, self.tokens, self.sorted_folded, self.has_marks, self.dob,
                self.year, self.sex, self.cccd, self.cmnd, self.phone, self.ward, self.province)


_NAME_CACHE: dict[str, tuple[str, str]] = {}
_TOKEN_CACHE: dict[str, tuple[str, str]] = {}


def make_probe(
    *,
    full_name: str | None = "",
    date_of_birth=None,
    sex: str | None = "",
    id_number: str | None = "",
    phone: str | None = "",
    province_code=None,
    ward_code=None,
    **_ignored,
) -> Probe:
    """Normalise the identity columns of an incoming record (extra columns are ignored)."""
    return Probe(*probe_values(full_name, date_of_birth, sex, id_number, phone, province_code, ward_code))


# Positional on purpose: the import path calls it once a row with the row's columns (*identity).
def probe_values(full_name, date_of_birth, sex, id_number, phone, province_code, ward_code) -> tuple:  # noqa: PLR0917
    """:func:`make_probe`'s fields as a plain tuple (``Probe(*probe_values(...))``), the
    arguments positional in the order of the reports' identity columns."""
    keys = _NAME_CACHE.get(full_name) if full_name else ("", "")
    if keys is None:
        if len(_NAME_CACHE) > 200_000:
            _NAME_CACHE.clear()
        if len(_TOKEN_CACHE) > 200_000:
            _TOKEN_CACHE.clear()
        # Token by token, as the index does (names repeat their words, not their spellings).
        keys = _NAME_CACHE[full_name] = name_keys(full_name, _TOKEN_CACHE)
    accent, folded = keys
    tokens = tuple(folded.split())
    dob, year = _birth(date_of_birth)
    # Fast paths for values that are already clean digits (most of them).
    if id_number.__class__ is str and id_number.isdecimal() and id_number.isascii():
        n = len(id_number)
        cccd, cmnd = (id_number, "") if n == 12 else (("", id_number) if n == 9 else ("", ""))
    else:
        ident = normalize_id(id_number)
        cccd, cmnd = ident.cccd, ident.cmnd
    if not (phone.__class__ is str and len(phone) == 10 and phone[0] == "0" and phone.isdecimal()
            and phone.isascii()):
        phone = normalize_phone(phone)
    return (
        accent,
        folded,
        tokens,
        " ".join(sorted(tokens)),
        accent != folded,
        dob,
        year,
        SEX_CODES.get(sex, SEX_UNKNOWN) if sex.__class__ is str and len(sex) == 1
        else SEX_CODES.get((sex or "").strip(), SEX_UNKNOWN),
        cccd,
        cmnd,
        phone,
        int(ward_code) if ward_code.__class__ is str and ward_code.isdecimal() else int_or_zero(ward_code),
        int(province_code) if province_code.__class__ is str and province_code.isdecimal()
        else int_or_zero(province_code),
    )


def _birth(date_of_birth) -> tuple[int, int]:
    """(yyyymmdd or 0, year or 0): :func:`birth_to_ints` with fast paths for the clean
    ``yyyy-mm-dd`` and ``yyyy`` texts most records carry."""
    if date_of_birth.__class__ is str and len(date_of_birth) == 10 and date_of_birth[4] == "-" \
            and date_of_birth[:4].isdigit() and date_of_birth[5:7].isdigit() and date_of_birth[8:].isdigit():
        year = int(date_of_birth[:4])
        dob = year * 10000 + int(date_of_birth[5:7]) * 100 + int(date_of_birth[8:])
        if not (1 <= dob // 100 % 100 <= 12 and 1 <= dob % 100 <= 28):
            dob, year = birth_to_ints(date_of_birth)  # the exact rules for day 29-31
        return dob, year
    if date_of_birth.__class__ is str and len(date_of_birth) == 4 and date_of_birth.isdigit():
        year = int(date_of_birth)
        return 0, year if 1880 <= year <= 2100 else 0  # as parse_birth_date
    return birth_to_ints(date_of_birth)


class ProbeBatch:
    """Records of one batch as columns, their names resolved to the index's ids."""

    def __init__(self, index, probes: list[Probe]):
        self.probes = probes
        ix = index
        name_ids, accent_ids, sorted_ids = ix.name_ids, ix.accent_ids, ix.sorted_ids
        tok_ids, ends_ids = ix.tok_ids, ix.ends_ids
        n = len(probes)
        nid = np.full(n, -1, np.int32)
        aid = np.full(n, -1, np.int32)
        sid = np.full(n, -1, np.int32)
        eid = np.full(n, -1, np.int32)
        first = np.full(n, -1, np.int32)
        last = np.full(n, -1, np.int32)
        for k, p in enumerate(probes):
            if p.folded:
                nid[k] = name_ids.get(p.folded, -1)
                aid[k] = accent_ids.get(p.accent, -1)
                sid[k] = sorted_ids.get(p.sorted_folded, -1)
                t = p.tokens
                eid[k] = ends_ids.get(t[0] + " " + t[-1], -1)
                first[k] = tok_ids.get(t[0], -1)
                last[k] = tok_ids.get(t[-1], -1)
        self.nid, self.aid, self.sid, self.eid, self.first, self.last = nid, aid, sid, eid, first, last
        # Whether the registry holds the name / its "family given" (a shard's index answers for
        # the whole registry through its vocabulary).
        self.known_name, self.known_ends = nid >= 0, eid >= 0
        vocab = getattr(ix, "vocabulary", None)
        if vocab is not None:
            self.known_name = self.known_name | np.array([p.folded in vocab.names for p in probes], bool)
            self.known_ends = self.known_ends | np.array(
                [bool(p.folded) and f"{p.tokens[0]} {p.tokens[-1]}" in vocab.ends for p in probes], bool)
        self.has_name = np.array([bool(p.folded) for p in probes], dtype=bool)
        self.marks = np.array([p.has_marks for p in probes], dtype=bool)
        self.dob = np.array([p.dob for p in probes], dtype=np.int32)
        self.dord = dob_ordinals(self.dob)
        self.year = np.array([p.year for p in probes], dtype=np.int32)
        self.sex = np.array([p.sex for p in probes], dtype=np.int8)
        self.cccd = np.array([digit_key(p.cccd) for p in probes], dtype=np.int64)
        self.cmnd = np.array([digit_key(p.cmnd) for p in probes], dtype=np.int64)
        self.phone = np.array([digit_key(p.phone) for p in probes], dtype=np.int64)
        self.ward = np.array([p.ward for p in probes], dtype=np.int64)
        self.province = np.array([p.province for p in probes], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.probes)

    def folded_list(self) -> list[str]:
        got = getattr(self, "_folded", None)
        if got is None:
            got = self._folded = [p.folded for p in self.probes]
        return got
