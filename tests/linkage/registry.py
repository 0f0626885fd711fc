"""Small hand-made registries shared by the linkage tests, in the loaders' row layout."""

# (citizen_id, cccd, cmnd, full_name, date_of_birth, birth_year, sex, province, ward, phone)
PEOPLE = [
    (1, "001090123456", "", "Nguyễn Văn Hùng", "1990-04-12", None, "M", 1, 101, "0912000001"),
    (2, "001190654321", "123456789", "Trần Thị Lan", "1990-07-01", None, "F", 1, 102, "0912000002"),
    (3, "079085111222", "", "Lê Đình Thắng", "1985-11-30", None, "M", 79, 7901, ""),
    (4, "079185333444", "", "Phạm Thị Mai", None, 1985, "F", 79, 7902, "0987000004"),
    # Namesakes: same name and birth year, different people.
    (5, "038072100001", "", "Ngô Văn Thành", "1972-01-19", None, "M", 38, 3801, "0911111111"),
    (6, "038072100002", "", "Ngô Văn Thành", "1972-08-03", None, "M", 38, 3802, "0922222222"),
]
# Enough unrelated people for the frequencies to mean something.
FILLER = [
    (100 + k, f"0{k % 90 + 1:02d}0{k % 80 + 20:02d}{k:06d}", "", f"{fam} {mid} {given}",
     f"19{k % 80 + 20:02d}-{k % 12 + 1:02d}-{k % 28 + 1:02d}", None, "MF"[k % 2], 1 + k % 30,
     1000 + k % 500, f"09{k:08d}")
    for k, (fam, mid, given) in enumerate(
        (f, m, g)
        for f in ("Bùi", "Đỗ", "Hồ", "Võ", "Đặng")
        for m in ("Quốc", "Ngọc", "Thanh", "Minh")
        for g in ("Khoa", "Vy", "Sơn", "Nhi", "Tài", "Yến", "Phúc", "Trâm", "Long", "Hạnh")
    )
]
# Noise that escapes every exact key at once (review coverage, issue 4).
SLIPS = [
    (901, "", "", "Huỳnh Thị Linh", "1934-12-02", None, "F", 15, 4636, ""),
    (902, "", "", "Lê Thị Ly", "1983-04-30", None, "F", 52, 5201, ""),
    (903, "", "", "Đặng Phương Ngọc", "2006-06-04", None, "F", 66, 6601, ""),
]
# Names misspelt where the blocks' name filters looked hardest (issue 15's review coverage):
# a typo in a token's first letter, the given name first, no birth year at all.
TWICE = [
    (911, "", "", "Lâm Văn Hậu", "1986-02-28", None, "M", 24, 2401, ""),
    (912, "", "", "Hoàng Thị Thanh", "1969-03-23", None, "F", 31, 3101, ""),
    (913, "", "", "Huỳnh Thị Hiền", "1931-08-16", None, "F", 33, 3301, ""),
    (914, "", "", "Nguyễn Văn Phát", "1964-05-21", None, "M", 44, 4401, ""),
    (915, "", "", "Ngô Văn Tiến", "1941-01-28", None, "M", 46, 4601, ""),
]


def record(**fields) -> dict:
    """An incoming record with the reports.csv identity columns, blank unless given."""
    base = {"full_name": "", "date_of_birth": "", "sex": "", "id_number": "", "phone": "",
            "province_code": "", "ward_code": ""}
    base.update(fields)
    return base


def listed(result) -> list:
    return [c.citizen_id for c in result.candidates]
