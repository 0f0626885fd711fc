"""Realistic synthetic Vietnamese people and doses, for the demo and for benchmarks."""

from __future__ import annotations

import random
from datetime import date, timedelta

from records.normalize import cccd_sex_century_digit

# Family names weighted roughly by their share of the population.
FAMILY_NAMES = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 3),
    ("Phan", 4.5), ("Vũ", 3.9), ("Võ", 2.5), ("Đặng", 2.1), ("Bùi", 2), ("Đỗ", 1.4),
    ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1), ("Lý", 0.5), ("Đinh", 0.6), ("Trương", 0.6),
    ("Lâm", 0.4), ("Mai", 0.4), ("Tô", 0.3), ("Hà", 0.5), ("Lương", 0.4), ("Tạ", 0.2),
]
MIDDLE_MALE = ["Văn", "Hữu", "Đức", "Công", "Quang", "Minh", "Thanh", "Xuân", "Ngọc", "Đình",
               "Tuấn", "Anh", "Hoàng", "Duy", "Gia", "Thế", "Trọng", "Bá"]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Bích", "Mai", "Hồng", "Phương",
                 "Thùy", "Diệu", "Bảo", "Khánh", "Hải", "Như"]
GIVEN_MALE = ["Hùng", "Dũng", "Tuấn", "Minh", "Nam", "Long", "Sơn", "Hải", "Thắng", "Phúc",
              "Khánh", "Quân", "Bình", "Trung", "Hiếu", "Cường", "Đạt", "Huy", "Tâm", "Lâm",
              "Nghĩa", "Thái", "Khoa", "Hào", "Việt", "Đức", "Toàn", "Lộc", "Phong", "Vinh"]
GIVEN_FEMALE = ["Lan", "Hương", "Hoa", "Mai", "Linh", "Trang", "Thảo", "Hà", "Ngọc", "Nhung",
                "Yến", "Phương", "Vy", "Hằng", "Thủy", "Dung", "Quỳnh", "Anh", "Trâm", "Nga",
                "Oanh", "Loan", "Duyên", "Hạnh", "Giang", "Uyên", "My", "Chi", "Diệp", "Tuyết"]
PHONE_PREFIXES = ["032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097",
                  "098", "070", "076", "077", "078", "079", "089", "090", "093", "081", "082",
                  "083", "084", "085", "088", "091", "094", "056", "058", "059"]
VACCINE_SCHEDULES = [
    ("astrazeneca", 84), ("pfizer", 21), ("moderna", 28), ("sinopharm", 21), ("sputnik-v", 21),
    ("abdala", 14), ("janssen", 0), ("hayat-vax", 21), ("pfizer", 21), ("astrazeneca", 56),
]

_FAMILY, _FAMILY_W = zip(*FAMILY_NAMES)


def random_name(rng: random.Random, sex: str) -> str:
    family = rng.choices(_FAMILY, weights=_FAMILY_W)[0]
    middle_pool, given_pool = (MIDDLE_FEMALE, GIVEN_FEMALE) if sex == "F" else (MIDDLE_MALE, GIVEN_MALE)
    parts = [family, rng.choice(middle_pool)]
    if rng.random() < 0.3:  # 4-part names are common, e.g. "Nguyễn Thị Minh Khai"
        parts.append(rng.choice(middle_pool + given_pool))
    parts.append(rng.choice(given_pool))
    return " ".join(parts)


def random_birth(rng: random.Random) -> date:
    return date(1935, 1, 1) + timedelta(days=rng.randrange(0, (date(2012, 12, 31) - date(1935, 1, 1)).days))


def make_cccd(old_province_code: int, sex: str, birth_year: int, serial: int) -> str:
    digit4 = cccd_sex_century_digit(sex, birth_year)
    return f"{old_province_code:03d}{digit4}{birth_year % 100:02d}{serial % 1_000_000:06d}"


def random_phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**7):07d}"


def random_lot(rng: random.Random) -> str:
    return rng.choice("ABCDEFGHKMNPRT") + f"{rng.randrange(1000, 9999)}"


def injection_dates(rng: random.Random, interval_days: int, doses: int) -> list[date]:
    first = date(2021, 3, 8) + timedelta(days=rng.randrange(0, 300))
    dates = [first]
    for n in range(1, doses):
        gap = interval_days if n == 1 else rng.randrange(120, 240)
        dates.append(dates[-1] + timedelta(days=max(gap, 14) + rng.randrange(0, 14)))
    return [d for d in dates if d <= date(2022, 12, 31)]
