"""The keys every other linkage module compares: the bottom of the package (imports only
``records.normalize`` and numpy).

* name keys – ``(accent_key, fold_name)`` of a name, token by token through a cache;
* digit keys – ID numbers and phones as ``int("1" + digits)`` (leading zeros survive, equal
  strings give equal ints, 0 = absent);
* birth dates – ``yyyymmdd`` ints and year ints (0 = unknown), and their day ordinals
  (``date.toordinal()``), vectorised both ways;
* one-edit keys – whether two digit keys are one digit or one adjacent swap apart, and every
  key that is (the typo variants looked up when the exact keys find nobody);
* sex codes of the compact columns.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from records.normalize import accent_key, digits_only, fold_name, parse_birth_date

# Keys that combine an id with a birth year: id * YEAR_SLOTS + (year - YEAR_BASE).
YEAR_BASE = 1800
YEAR_SLOTS = 512

# Sex codes in the compact columns.
SEX_UNKNOWN, SEX_M, SEX_F = 0, 1, 2
SEX_CODES = {"M": SEX_M, "F": SEX_F, "m": SEX_M, "f": SEX_F, "nam": SEX_M, "nữ": SEX_F, "nu": SEX_F}

_POW10 = np.array([10**k for k in range(19)], dtype=np.int64)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


# -- scalars --------------------------------------------------------------------------------

def digit_key(value) -> int:
    """``int("1" + digits)`` for a digit string, 0 for empty or non-digit values."""
    if value and value.isdigit():
        return int("1" + value)
    return 0


def as_int(value) -> int:
    """An int column value (ward, province): 0 for missing or unreadable."""
    if value is None or value == "":
        return 0
    if value.__class__ is int:
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def int_or_zero(value) -> int:
    """As :func:`as_int`, but text with stray characters keeps its digits ("79 " -> 79)."""
    if value is None or value == "":
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        digits = digits_only(str(value))
        return int(digits) if digits else 0


def birth_to_ints(value, birth_year=None) -> tuple[int, int]:
    """(yyyymmdd or 0, year or 0) from a date, an ISO / dd/mm/yyyy / year string or an int.

    Unparseable text counts as unknown: a wrong date is no evidence either way.
    """
    if isinstance(value, date):
        return value.year * 10000 + value.month * 100 + value.day, value.year
    if isinstance(value, int) and value:
        return 0, value
    if isinstance(value, str) and value.strip():
        try:
            parsed = parse_birth_date(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.value is not None:
            d = parsed.value
            return d.year * 10000 + d.month * 100 + d.day, d.year
        if parsed is not None and parsed.year:
            return 0, parsed.year
    year = int_or_zero(birth_year)
    return 0, year if 1800 <= year <= 2200 else 0


def name_keys(name: str, token_cache: dict) -> tuple[str, str]:
    """(accent_key, fold_name) of ``name``, token by token through a cache: a registry has
    a million names but only a few thousand distinct words."""
    accents = []
    foldeds = []
    for token in (name or "").split():
        keys = token_cache.get(token)
        if keys is None:
            keys = token_cache[token] = (accent_key(token), fold_name(token))
        if keys[1]:
            accents.append(keys[0])
            foldeds.append(keys[1])
    return " ".join(accents), " ".join(foldeds)


def one_edit_apart(a: str, b: str) -> bool:
    """Same length and one digit changed, or two adjacent digits swapped."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]])


def edit_variants(value: str):
    """Every string one digit substitution or one adjacent swap away from ``value``."""
    digits = "0123456789"
    n = len(value)
    for pos in range(n):
        head, cur, tail = value[:pos], value[pos], value[pos + 1:]
        for d in digits:
            if d != cur:
                yield head + d + tail
    for pos in range(n - 1):
        a, b = value[pos], value[pos + 1]
        if a != b:
            yield value[:pos] + b + a + value[pos + 2:]


# -- vectorised -----------------------------------------------------------------------------

def ordinals_to_ymd(ordinal: np.ndarray) -> np.ndarray:
    """yyyymmdd ints of ``date.toordinal()`` day numbers (0 stays 0), vectorised."""
    o = np.asarray(ordinal, dtype=np.int64)
    z = o - 719163 + 719468  # days since 0000-03-01 (H. Hinnant's civil_from_days)
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = y + (m <= 2)
    return np.where(o > 0, y * 10000 + m * 100 + d, 0).astype(np.int32)


def dob_ordinals(dob: np.ndarray) -> np.ndarray:
    """``date.toordinal()`` of yyyymmdd ints, vectorised (0 for unknown or impossible
    dates)."""
    dob = np.asarray(dob, dtype=np.int64)
    y, m, d = dob // 10000, dob // 100 % 100, dob % 100
    ok = (dob > 0) & (m >= 1) & (m <= 12) & (d >= 1) & (y >= 1)
    mm = np.where(ok, m, 1)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    ok &= d <= _MONTH_DAYS[mm] + ((mm == 2) & leap)
    # Days from civil (H. Hinnant), shifted so 0001-01-01 is 1 as in date.toordinal().
    yy = y - (mm <= 2)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (mm + np.where(mm > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468 + 719163
    return np.where(ok, days, 0).astype(np.int32)


def one_edit_apart_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Vectorised :func:`one_edit_apart` on :func:`digit_key` ints: same length, and one
    digit changed or two adjacent digits swapped."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    la = np.searchsorted(_POW10, a, side="right")
    lb = np.searchsorted(_POW10, b, side="right")
    ok = (la == lb) & (a != b) & (a > 0)
    if not ok.any():
        return ok
    ndiff = np.zeros(len(a), np.int8)
    first = np.full(len(a), -1, np.int8)
    second = np.full(len(a), -1, np.int8)
    for k in range(18):
        da = a // _POW10[k] % 10
        db = b // _POW10[k] % 10
        neq = da != db
        ndiff += neq
        first = np.where(neq & (first < 0), k, first)
        second = np.where(neq & (first >= 0) & (first != k), np.where(second < 0, k, second), second)
    one = ndiff == 1
    two = (ndiff == 2) & (second == first + 1)
    if two.any():
        f = np.clip(first, 0, 17).astype(np.int64)
        p1, p2 = _POW10[f], _POW10[np.clip(f + 1, 0, 18)]
        swapped = (a // p1 % 10 == b // p2 % 10) & (a // p2 % 10 == b // p1 % 10)
        two &= swapped
    return ok & (one | two)


def edit_variant_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every :func:`digit_key` one digit substitution or one adjacent swap away from each
    key; returns (variants, index of the key each came from)."""
    keys = np.asarray(keys, dtype=np.int64)
    lens = np.searchsorted(_POW10, keys, side="right") - 1  # digits after the leading 1
    out, owner = [], []
    idx = np.arange(len(keys))
    for pos in range(int(lens.max(initial=0))):
        has = lens > pos
        k = keys[has]
        w = idx[has]
        p = _POW10[pos]
        cur = k // p % 10
        for d in range(1, 10):
            out.append(k + ((cur + d) % 10 - cur) * p)
            owner.append(w)
        has2 = lens > pos + 1
        k2 = keys[has2]
        w2 = idx[has2]
        a = k2 // p % 10
        b = k2 // (p * 10) % 10
        diff = a != b
        out.append((k2 + (b - a) * p + (a - b) * p * 10)[diff])
        owner.append(w2[diff])
    if not out:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out), np.concatenate(owner)
