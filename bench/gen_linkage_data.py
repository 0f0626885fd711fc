"""Synthetic registry / reports / truth CSVs for the linkage benchmark, of any size.

    .venv/bin/python bench/gen_linkage_data.py OUT_DIR --citizens 1000000 --reports 200000 [--seed 1]

Same columns as ../shared/data/linkage-sample. Names follow Vietnamese naming (family,
middle, given; "Văn"/"Thị"; common families weighted as in the population) and the
reports carry the noise seen in facility logs: upper case, missing or wrong diacritics,
typos, a dropped middle name, family and given swapped, stray spaces, year-only or
missing or slightly wrong birth dates (a day off, ten days off, a digit off, day and
month swapped), the old CMND instead of the CCCD, one-digit and transposed ID typos,
phones as +84 / spaced / someone else's, the facility's ward instead of home.

It also adds hard cases the shared sample does not have, so the engine is not tuned to
one file: twins (same family, birth date, ward and phone), household phones, namesakes
born the same year, people who are not in the registry at all, dd/mm/yyyy dates, and
birth years off by one.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import random
import unicodedata
from pathlib import Path

FAMILY = [
    ("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Hoàng", 51), ("Huỳnh", 40),
    ("Phan", 45), ("Vũ", 39), ("Võ", 35), ("Đặng", 21), ("Bùi", 20), ("Đỗ", 14), ("Hồ", 13),
    ("Ngô", 13), ("Dương", 10), ("Lý", 5), ("Đinh", 6), ("Trương", 5), ("Lâm", 4), ("Mai", 3),
    ("Đoàn", 4), ("Trịnh", 3), ("Tô", 2), ("Hà", 3), ("Châu", 2), ("Quách", 1), ("Tạ", 1),
    ("Lương", 2), ("Kiều", 1), ("Cao", 2), ("Thái", 1), ("Lưu", 1), ("Triệu", 1), ("Vương", 1),
]
MIDDLE_M = ["Văn"] * 12 + [
    "Hữu", "Đức", "Minh", "Quốc", "Công", "Thanh", "Ngọc", "Hoàng", "Anh", "Tuấn", "Xuân",
    "Đình", "Quang", "Trung", "Thành", "Gia", "Bảo", "Duy", "Hải", "Tiến", "Mạnh", "Việt",
]
MIDDLE_F = ["Thị"] * 14 + [
    "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Bích", "Phương", "Hoài", "Thùy", "Mai", "Lan",
    "Diệu", "Quỳnh", "Thảo", "Hồng", "Khánh", "Bảo", "Hải", "Như", "Tường", "Mỹ", "Gia",
]
GIVEN_M = [
    "Hùng", "Dũng", "Minh", "Nam", "Hải", "Long", "Tuấn", "Anh", "Khoa", "Phúc", "Quân", "Sơn",
    "Thắng", "Trung", "Đức", "Hiếu", "Huy", "Khánh", "Kiên", "Lâm", "Luân", "Nghĩa", "Phong",
    "Quang", "Tài", "Thái", "Thành", "Tiến", "Trí", "Tú", "Vinh", "Việt", "Bảo", "Bình", "Cường",
    "Đạt", "Định", "Hào", "Hậu", "Hoàng", "Hưng", "Kiệt", "Lộc", "Lợi", "Mạnh", "Nhân", "Phát",
    "Quý", "Sang", "Tâm", "Thịnh", "Toàn", "Trọng", "Tùng", "Vũ", "Khang", "Hiển", "Thông", "Đông",
]
GIVEN_F = [
    "Anh", "Hà", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo",
    "Thủy", "Trang", "Trâm", "Uyên", "Vy", "Yến", "Hằng", "Hạnh", "Hiền", "Hoa", "Huyền", "Liên",
    "Loan", "Ly", "My", "Nga", "Ngân", "Nhi", "Nhàn", "Nương", "Tâm", "Thanh", "Thư", "Thúy",
    "Tiên", "Trinh", "Vân", "Xuân", "Ánh", "Châu", "Diệp", "Dung", "Giang", "Hồng", "Khuê", "Lệ",
    "Lụa", "Mỹ", "Nguyệt", "Phượng", "Quyên", "Thắm", "Thơ", "Trúc", "Tuyết", "Vi",
]
VACCINES = ["AstraZeneca", "Pfizer-BioNTech", "Moderna", "Sinopharm (Vero Cell)", "Sputnik V",
            "Janssen", "Abdala", "Hayat-Vax"]
OLD_PROVINCES = [f"{c:03d}" for c in (1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25,
                 26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56,
                 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89,
                 91, 92, 93, 94, 95, 96)]
NEW_PROVINCES = [1, 4, 8, 11, 12, 14, 15, 19, 20, 22, 24, 25, 31, 33, 37, 38, 40, 42, 44, 46,
                 48, 51, 52, 56, 66, 68, 75, 79, 80, 82, 86, 91, 92, 96]


def strip_marks(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        fam, w = zip(*FAMILY)
        self.families, self.family_cum = list(fam), list(_cum(w))
        rng = self.rng
        self.wards = real_wards()  # (ward_code, province_code)
        if not self.wards:
            # vietnam-provinces not installed: made-up codes (fine for CSV-only runs, but
            # they will not load into records_citizen, whose ward_id references real wards).
            code = 1
            for prov in NEW_PROVINCES:
                for _ in range(rng.randint(40, 160)):
                    code += rng.randint(1, 12)
                    self.wards.append((code, prov))
        self.used_cccd: set[str] = set()
        self.used_phone: set[str] = set()

    # -- citizens ---------------------------------------------------------------------------

    def family(self) -> str:
        return self.rng.choices(self.families, cum_weights=self.family_cum)[0]

    def name(self, sex: str, family: str | None = None) -> str:
        rng = self.rng
        parts = [family or self.family()]
        if rng.random() < 0.06:
            parts.append(self.family())  # Nguyễn Trần ... (both parents' families)
        middles = MIDDLE_M if sex == "M" else MIDDLE_F
        parts.append(rng.choice(middles))
        if rng.random() < 0.18:
            parts.append(rng.choice(middles[12:]))
        parts.append(rng.choice(GIVEN_M if sex == "M" else GIVEN_F))
        return " ".join(parts)

    def cccd(self, sex: str, year: int) -> str:
        rng = self.rng
        digit4 = {1900: 0, 2000: 2}[year // 100 * 100] + (1 if sex == "F" else 0)
        while True:
            value = f"{rng.choice(OLD_PROVINCES)}{digit4}{year % 100:02d}{rng.randrange(10**6):06d}"
            if value not in self.used_cccd:
                self.used_cccd.add(value)
                return value

    def phone(self) -> str:
        rng = self.rng
        while True:
            value = "0" + rng.choice("3578998") + f"{rng.randrange(10**8):08d}"
            if value not in self.used_phone:
                self.used_phone.add(value)
                return value

    def citizens(self, n: int):
        rng = self.rng
        out = []
        while len(out) < n:
            sex = rng.choice("MF")
            year = rng.randint(1930, 2010)
            month, day = rng.randint(1, 12), rng.randint(1, 28 if rng.random() < 0.1 else 31)
            month_days = [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            day = min(day, month_days[month - 1])
            ward, prov = rng.choice(self.wards)
            person = {
                "citizen_id": self.cccd(sex, year),
                "legacy_id": f"{rng.randrange(10**8, 10**9)}" if year < 2000 and rng.random() < 0.6 else "",
                "full_name": self.name(sex),
                "date_of_birth": f"{year:04d}-{month:02d}-{day:02d}",
                "sex": sex,
                "province_code": prov,
                "ward_code": ward,
                "phone": self.phone() if rng.random() < 0.85 else "",
            }
            out.append(person)
            roll = rng.random()
            if roll < 0.004 and len(out) < n:
                # Twins: same family, date, ward and phone; a different given name.
                twin_sex = rng.choice("MF")
                twin = dict(person, citizen_id=self.cccd(twin_sex, year), sex=twin_sex,
                            full_name=self.name(twin_sex, person["full_name"].split()[0]),
                            legacy_id="")
                out.append(twin)
            elif roll < 0.03 and len(out) < n and person["phone"]:
                # A household: someone of the same family sharing the phone and ward.
                sex2 = rng.choice("MF")
                y2 = rng.randint(1930, 2010)
                out.append(dict(person, citizen_id=self.cccd(sex2, y2), sex=sex2,
                                full_name=self.name(sex2, person["full_name"].split()[0]),
                                date_of_birth=f"{y2:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                                legacy_id=""))
        return out

    # -- noise ------------------------------------------------------------------------------

    def noisy_name(self, name: str) -> str:
        rng = self.rng
        parts = name.split()
        r = rng.random()
        if r < 0.03 and len(parts) >= 3:
            del parts[rng.randrange(1, len(parts) - 1)]  # middle name left out
        elif r < 0.05:
            parts = parts[-1:] + parts[:-1]  # given name first
        text = " ".join(parts)
        r = rng.random()
        if r < 0.12:
            text = self.typo(text)
        r = rng.random()
        if r < 0.30:
            text = strip_marks(text)
        r = rng.random()
        if r < 0.20:
            text = text.upper()
        elif r < 0.23:
            text = text.lower()
        if rng.random() < 0.03:
            text = "  " + text.replace(" ", "  ") + " "
        if rng.random() < 0.01:
            text = text.replace(" ", "\u00a0")
        if rng.random() < 0.01:
            text = unicodedata.normalize("NFD", text)
        return text

    def typo(self, text: str) -> str:
        rng = self.rng
        letters = [k for k, c in enumerate(text) if c.isalpha()]
        k = rng.choice(letters)
        kind = rng.random()
        if kind < 0.3:
            return text[:k] + text[k] + text[k:]  # doubled
        if kind < 0.6:
            return text[:k] + text[k + 1:]  # dropped
        if kind < 0.8 and k + 1 < len(text) and text[k + 1].isalpha():
            return text[:k] + text[k + 1] + text[k] + text[k + 2:]  # swapped
        return text[:k] + rng.choice("aeinouhtgc") + text[k + 1:]

    def noisy_dob(self, dob: str) -> str:
        rng = self.rng
        y, m, d = (int(x) for x in dob.split("-"))
        r = rng.random()
        if r < 0.03:
            return ""
        if r < 0.17:
            return str(y)
        if r < 0.29:
            kind = rng.random()
            base = dt.date(y, m, d)
            if kind < 0.3:
                base += dt.timedelta(days=rng.choice((-1, 1)))
            elif kind < 0.5:
                base += dt.timedelta(days=rng.choice((-10, 10)))
            elif kind < 0.75 and d <= 12 and d != m:
                base = dt.date(y, d, m)
            elif kind < 0.9:
                s = f"{d:02d}"
                nd = int(s[0] + str((int(s[1]) + rng.choice((1, -1))) % 10))
                if 1 <= nd <= 28:
                    base = dt.date(y, m, nd)
            else:
                with contextlib.suppress(ValueError):
                    base = dt.date(y + rng.choice((-1, 1)), m, d)  # year off by one
            y, m, d = base.year, base.month, base.day
        if rng.random() < 0.12:
            return f"{d:02d}/{m:02d}/{y:04d}"
        return f"{y:04d}-{m:02d}-{d:02d}"

    def noisy_id(self, person) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.22:
            return ""
        use_legacy = person["legacy_id"] and rng.random() < 0.15
        value = person["legacy_id"] if use_legacy else person["citizen_id"]
        if rng.random() < 0.15:
            k = rng.randrange(len(value) - 1)
            if rng.random() < 0.7:
                value = value[:k] + str((int(value[k]) + rng.randint(1, 9)) % 10) + value[k + 1:]
            elif value[k] != value[k + 1]:
                value = value[:k] + value[k + 1] + value[k] + value[k + 2:]
        return value

    def noisy_phone(self, person) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.30 or not person["phone"] and r < 0.9:
            return ""
        phone = person["phone"] if person["phone"] and rng.random() < 0.88 else self.phone()
        fmt = rng.random()
        if fmt < 0.2:
            return "+84" + phone[1:]
        if fmt < 0.28:
            return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
        if fmt < 0.3:
            return f"{phone[:4]}.{phone[4:7]}.{phone[7:]}"
        return phone

    def noisy_place(self, person) -> tuple[str, str]:
        rng = self.rng
        r = rng.random()
        if r < 0.045:
            return "", ""
        if r < 0.19:
            ward, prov = rng.choice(self.wards)
            return str(prov), str(ward)
        return str(person["province_code"]), str(person["ward_code"])

    def report(self, record_id: str, person) -> dict:
        rng = self.rng
        prov, ward = self.noisy_place(person)
        return {
            "record_id": record_id,
            "full_name": self.noisy_name(person["full_name"]),
            "date_of_birth": self.noisy_dob(person["date_of_birth"]),
            "sex": person["sex"] if rng.random() < 0.9 else "",
            "id_number": self.noisy_id(person),
            "phone": self.noisy_phone(person),
            "province_code": prov,
            "ward_code": ward,
            "vaccine": rng.choice(VACCINES),
            "dose_number": rng.randint(1, 4),
            "injection_date": f"202{rng.randint(1, 2)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "lot_number": f"{rng.choice('ABCEFGHMNP')}{rng.randrange(10000):04d}",
        }

    def outsider(self, citizens) -> dict:
        """Someone not in the registry: half of them namesakes of a registered person born
        the same year, the rest strangers."""
        rng = self.rng
        sex = rng.choice("MF")
        if rng.random() < 0.5:
            other = rng.choice(citizens)
            year = int(other["date_of_birth"][:4])
            sex, name = other["sex"], other["full_name"]
        else:
            year, name = rng.randint(1930, 2010), self.name(sex)
        ward, prov = rng.choice(self.wards)
        return {
            "citizen_id": self.cccd(sex, year),
            "legacy_id": "",
            "full_name": name,
            "date_of_birth": f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "sex": sex,
            "province_code": prov,
            "ward_code": ward,
            "phone": self.phone() if rng.random() < 0.7 else "",
        }


def real_wards() -> list[tuple[int, int]]:
    """The 3,321 post-2025 communes (code, province code) as loaded by the records
    migration, so generated citizens can go into records_citizen with a real ward_id."""
    try:
        from vietnam_provinces import Ward as VnWard
    except ImportError:
        return []
    return sorted((int(w.code), int(w.province_code)) for w in VnWard.iter_all())


def _cum(weights):
    total = 0
    for w in weights:
        total += w
        yield total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--citizens", type=int, default=20_000)
    ap.add_argument("--reports", type=int, default=4_000)
    ap.add_argument("--outsiders", type=float, default=0.075, help="share of reports with no citizen")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gen = Generator(args.seed)
    citizens = gen.citizens(args.citizens)
    gen.rng.shuffle(citizens)
    fields = ["citizen_id", "legacy_id", "full_name", "date_of_birth", "sex", "province_code", "ward_code",
              "phone"]
    with open(out / "registry.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(citizens)
    report_fields = ["record_id", "full_name", "date_of_birth", "sex", "id_number", "phone",
                     "province_code", "ward_code", "vaccine", "dose_number", "injection_date", "lot_number"]
    rng = gen.rng
    with open(out / "reports.csv", "w", newline="", encoding="utf-8") as fr, \
            open(out / "truth.csv", "w", newline="", encoding="utf-8") as ft:
        wr = csv.DictWriter(fr, fieldnames=report_fields)
        wr.writeheader()
        wt = csv.writer(ft)
        wt.writerow(["record_id", "citizen_id"])
        for k in range(args.reports):
            record_id = f"S{k:010d}"
            if rng.random() < args.outsiders:
                person, truth = gen.outsider(citizens), ""
            else:
                person = rng.choice(citizens)
                truth = person["citizen_id"]
            wr.writerow(gen.report(record_id, person))
            wt.writerow([record_id, truth])
    print(f"wrote {len(citizens):,} citizens and {args.reports:,} reports to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
