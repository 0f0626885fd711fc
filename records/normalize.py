"""Normalisation of the messy values that arrive from paper logs and citizens.

One module, used everywhere: models (search keys), forms, imports and the linkage engine.
Every function is pure and cheap; the linkage engine calls them millions of times.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

# Look-alikes of Đ/đ that appear in typed data (Icelandic eth, African D with stroke).
_D_LOOKALIKES = str.maketrans({"Đ": "d", "đ": "d", "Ð": "d", "ð": "d", "Ɖ": "d", "ɖ": "d"})
# For the accented forms: the look-alikes become the Vietnamese letter itself.
_D_TO_VIETNAMESE = str.maketrans({"Ð": "Đ", "ð": "đ", "Ɖ": "Đ", "ɖ": "đ"})
_SPACES = re.compile(r"\s+", re.UNICODE)
_NON_DIGITS = re.compile(r"\D+")
# The pure functions a file of a million rows calls for every row, on values that repeat (a
# registry of 1,000,000 people holds about 220,000 distinct full names and 36,000 dates of
# birth): each keeps its last answers (about 5 MB a process at most).
_memo = lru_cache(maxsize=1 << 15)


@_memo
def normalize_name(value: str | None) -> str:
    """The name as written, tidied: NFC, spaces (incl. no-break) collapsed, title case kept
    as typed except for all-upper or all-lower input, which is title-cased."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", value).translate(_D_TO_VIETNAMESE)
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text).strip()
    if text.isupper() or text.islower():
        text = " ".join(part[:1].upper() + part[1:].lower() for part in text.split(" "))
    return text


NAME_MARKS = frozenset(" -'.\u2019\u02bc")  # space, hyphen, apostrophes (' ’ ʼ), dot


@_memo
def is_name_text(value: str) -> bool:
    """Whether `value` is made only of what a person's name holds: letters (with their
    combining diacritics), spaces, hyphens, apostrophes and dots; not formula text or markup
    (``=1+1``, ``<script>``, ``@SUM(A1)``), digits or other signs."""
    return all(c in NAME_MARKS or unicodedata.category(c)[0] in "LM" for c in value)


def accent_key(value: str | None) -> str:
    """Case- and space-folded name that keeps the diacritics (stronger agreement)."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", value).translate(_D_TO_VIETNAMESE)
    text = unicodedata.normalize("NFC", text.casefold())
    return _SPACES.sub(" ", text).strip()


@_memo
def fold_name(value: str | None) -> str:
    """Diacritics-folded search key: 'Nguyễn  Văn ĐỨC' -> 'nguyen van duc'."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", value).translate(_D_LOOKALIKES)
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.casefold().translate(_D_LOOKALIKES)
    text = re.sub(r"[^a-z0-9 ]+", " ", _SPACES.sub(" ", text))
    return _SPACES.sub(" ", text).strip()


def digits_only(value: str | None) -> str:
    return _NON_DIGITS.sub("", value or "")


def normalize_phone(value: str | None) -> str:
    """Vietnamese mobile/landline to the national form 0xxxxxxxxx; '' when empty.

    '+84 912 345 678', '84912345678', '0912.345.678' -> '0912345678'. Returns the digits
    unchanged when they do not look like a Vietnamese number, so the caller can reject them.
    """
    digits = digits_only(value)
    if not digits:
        return ""
    if digits.startswith("0084"):
        digits = digits[2:]
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits
    return digits


def is_valid_phone(phone: str) -> bool:
    return bool(re.fullmatch(r"0\d{9}", phone or ""))


@dataclass(frozen=True)
class IdNumber:
    """A personal ID number split by kind: 12-digit CCCD or 9-digit legacy CMND."""

    cccd: str = ""
    cmnd: str = ""
    raw_digits: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.raw_digits


def normalize_id(value: str | None) -> IdNumber:
    digits = digits_only(value)
    if len(digits) == 12:
        return IdNumber(cccd=digits, raw_digits=digits)
    if len(digits) == 9:
        return IdNumber(cmnd=digits, raw_digits=digits)
    return IdNumber(raw_digits=digits)


# CCCD digit 4: (century, sex) -> digit. 0/1 = 1900s male/female, 2/3 = 2000s, 4/5 = 2100s.
_CENTURY_BASE = {1900: 0, 2000: 2, 2100: 4}


def cccd_sex_century_digit(sex: str, birth_year: int) -> int | None:
    base = _CENTURY_BASE.get(birth_year // 100 * 100)
    if base is None or sex not in ("M", "F"):
        return None
    return base + (1 if sex == "F" else 0)


def cccd_problem(cccd: str, *, sex: str | None, birth_year: int | None) -> str | None:
    """Why this CCCD cannot belong to a person of this sex and birth year, or None.

    Messages are plain English here; callers wrap them for translation.
    """
    if not re.fullmatch(r"\d{12}", cccd or ""):
        return "CCCD must be exactly 12 digits."
    digit4 = int(cccd[3])
    if birth_year:
        if cccd[4:6] != f"{birth_year % 100:02d}":
            return (
                f"CCCD digits 5-6 ({cccd[4:6]}) do not match the birth year {birth_year}."
            )
        expected = cccd_sex_century_digit(sex or "", birth_year)
        if sex in ("M", "F") and expected is not None and digit4 != expected:
            return (
                f"CCCD digit 4 ({digit4}) does not match sex {sex} born in {birth_year} "
                f"(expected {expected})."
            )
    elif sex in ("M", "F") and digit4 % 2 != (1 if sex == "F" else 0):
        return f"CCCD digit 4 ({digit4}) does not match sex {sex}."
    return None


DAY = "day"
YEAR = "year"


@dataclass(frozen=True)
class BirthDate:
    """A date of birth as far as it is known: a full date, or a year only."""

    value: date | None
    year: int | None
    precision: str  # DAY, YEAR or "" when unknown

    @property
    def is_known(self) -> bool:
        return self.year is not None


YEAR_ONLY_RANGE = (1880, 2100)  # a bare year outside it is not read as a year of birth
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


@_memo
def parse_birth_date(value: str | None) -> BirthDate:
    """Parse ISO 'yyyy-mm-dd', 'dd/mm/yyyy' (also with '.' or '-') or a bare year.

    Raises ValueError with a plain message when the text is not a date at all; returns an
    unknown BirthDate for empty input. Invalid calendar dates (31/02) raise too.
    """
    text = (value or "").strip()
    if not text:
        return BirthDate(None, None, "")
    if m := _ISO.match(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.match(text):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    elif m := _YEAR.match(text):
        y = int(m[1])
        if not YEAR_ONLY_RANGE[0] <= y <= YEAR_ONLY_RANGE[1]:
            raise ValueError(f"'{text}' is not a plausible birth year.")
        return BirthDate(None, y, YEAR)
    else:
        raise ValueError(f"'{text}' is not a date (use yyyy-mm-dd, dd/mm/yyyy or a year).")
    try:
        parsed = date(y, mo, d)
    except ValueError:
        raise ValueError(f"'{text}' is not a valid calendar date.") from None
    return BirthDate(parsed, y, DAY)


def parse_date(value: str | None) -> date:
    """A full date (ISO or dd/mm/yyyy); raises ValueError with a plain message."""
    parsed = parse_birth_date(value)
    if parsed.precision != DAY:
        raise ValueError(f"'{(value or '').strip()}' is not a full date (yyyy-mm-dd or dd/mm/yyyy).")
    return parsed.value  # type: ignore[return-value]


def mask_id(value: str | None) -> str:
    """For lists: keep the last 3 digits only."""
    if not value:
        return ""
    return "•" * max(len(value) - 3, 0) + value[-3:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "•" * max(len(value) - 6, 0) + value[-3:]


def initials(full_name: str | None) -> str:
    return ".".join(part[0].upper() for part in (full_name or "").split() if part) + (
        "." if full_name else ""
    )
