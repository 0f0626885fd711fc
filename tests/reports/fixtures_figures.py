"""A hand-counted day for the daily figures: every row is written with explicit times so the
expected figures can be counted by hand (the comments say how)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from records.models import InjectionRecord, VaccineProduct, Ward
from signing.models import Signature, SignerCertificate
from tests.factories import HCM_PROVINCE, CitizenFactory, FacilityFactory, make_user
from verification.models import CaseEvent, ImportJob, ReconciliationCase
from verification.workflow import CaseStatus as S

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 11, 20)


def at(day: date, hhmm: str, seconds: int = 0) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, seconds, tzinfo=VN)


def event(case, when, transition, src, dst, *, actor=None, data=None):
    return CaseEvent.objects.create(case=case, at=when, actor=actor,
                                    actor_label=actor.username if actor else "system",
                                    transition=transition, from_status=src, to_status=dst, data=data or {})


def note(case, when, action, **data):
    return CaseEvent.objects.create(case=case, at=when, actor_label="citizen", transition="",
                                    from_status=case.status,
                                    to_status=case.status, data={"action": action, **data})


def case(**fields):
    fields.setdefault("full_name", "Nguyễn Văn An")
    fields.setdefault("birth_year", 1990)
    fields.setdefault("sex", "M")
    return ReconciliationCase.objects.create(**fields)


def _police_cases(*, ward, hanoi_facility, officer) -> list:
    """Cases 5 to 7, the police's on D (see build_scenario)."""
    d = DAY
    # Case 5: with the police of the Hà Nội ward: sent on D, mismatch by the registry; then
    # another round on D ends with an officer's confirmation. Plus one foreign national and
    # one not found, both on D.
    c5 = case(origin="clinic_entry", submitted_at=at(d - timedelta(days=1), "10:00"), ward=ward,
              facility=hanoi_facility, status=S.IDENTITY_VERIFIED)
    event(c5, at(d - timedelta(days=1), "11:00"), "start_review", S.SUBMITTED, S.IN_REVIEW)
    event(c5, at(d - timedelta(days=1), "12:00"), "update_record", S.IN_REVIEW, S.RECORD_UPDATED)
    event(c5, at(d, "07:00"), "send_to_police", S.RECORD_UPDATED, S.AWAITING_POLICE)  # left update after 20 h
    event(c5, at(d, "07:30"), "report_mismatch", S.AWAITING_POLICE, S.IDENTITY_MISMATCH)
    event(c5, at(d, "08:00"), "update_record", S.IDENTITY_MISMATCH, S.RECORD_UPDATED)
    event(c5, at(d, "09:00"), "send_to_police", S.RECORD_UPDATED, S.AWAITING_POLICE)
    event(c5, at(d, "09:10"), "verify_identity", S.AWAITING_POLICE, S.IDENTITY_VERIFIED, actor=officer)
    c6 = case(origin="clinic_entry", submitted_at=at(d, "06:00"), ward=ward, facility=hanoi_facility,
              status=S.FOREIGN_NATIONAL, nationality="KR")
    event(c6, at(d, "06:10"), "start_review", S.SUBMITTED, S.IN_REVIEW)
    event(c6, at(d, "14:00"), "send_to_police", S.RECORD_UPDATED, S.AWAITING_POLICE)
    event(c6, at(d, "15:00"), "mark_foreign", S.AWAITING_POLICE, S.FOREIGN_NATIONAL, actor=officer)
    c7 = case(origin="clinic_entry", submitted_at=at(d, "06:30"), ward=ward, facility=hanoi_facility,
              status=S.INFO_REQUESTED)
    event(c7, at(d, "06:40"), "start_review", S.SUBMITTED, S.IN_REVIEW)
    event(c7, at(d, "14:30"), "send_to_police", S.RECORD_UPDATED, S.AWAITING_POLICE)
    event(c7, at(d, "16:00"), "report_not_found", S.AWAITING_POLICE, S.NOT_FOUND)
    event(c7, at(d, "17:00"), "request_info", S.NOT_FOUND, S.INFO_REQUESTED)
    return [c5, c6, c7]


def _records(*, ward, hcm_ward, hcm, hanoi_facility) -> list:
    """The dose records r1 to r4 of Lan and Ba (see build_scenario), and a later citizen."""
    d = DAY
    # Records: Lan (Hà Nội, woman born 1990) had dose 1 entered five days before D; on D
    # dose 2 is entered (given on D) and dose 1 corrected (a new version replaces it).
    pfizer = VaccineProduct.objects.get(code="pfizer")
    lan = CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1990, 1, 1), ward=ward,
                         cccd="001190000001")
    r1 = InjectionRecord.objects.create(citizen=lan, vaccine=pfizer, dose_number=1,
                                        injection_date=date(2021, 8, 1), facility=hanoi_facility,
                                        created_at=at(d - timedelta(days=5), "10:00"), status="superseded")
    r2 = InjectionRecord.objects.create(citizen=lan, vaccine=pfizer, dose_number=2, injection_date=d,
                                        facility=hanoi_facility, created_at=at(d, "10:00"))
    r3 = InjectionRecord.objects.create(citizen=lan, vaccine=pfizer, dose_number=1,
                                        injection_date=date(2021, 8, 2), facility=hanoi_facility,
                                        created_at=at(d, "15:00"), previous=r1, version=2)
    # Ba (Hồ Chí Minh City, man born 1950): a booster entered on D at the HCM hospital.
    ba = CitizenFactory(full_name="Lê Văn Ba", sex="M", date_of_birth=date(1950, 6, 1), ward=hcm_ward,
                        cccd="079050000002")
    r4 = InjectionRecord.objects.create(citizen=ba, vaccine=pfizer, dose_number=3,
                                        injection_date=date(2022, 1, 5),
                                        facility=hcm, created_at=at(d, "11:00"))
    # A record entered after midnight of D counts for D + 1 only.
    InjectionRecord.objects.create(citizen=ba, vaccine=pfizer, dose_number=4, injection_date=date(2022, 6, 5),
                                   facility=hcm, created_at=at(d + timedelta(days=1), "00:00", 1))
    # Lan and Ba registered long before; a citizen registered after D is not in D's population.
    for person in (lan, ba):
        type(person).objects.filter(pk=person.pk).update(created_at=at(d - timedelta(days=30), "09:00"))
    later = CitizenFactory(full_name="Phạm Thị Mới", ward=ward, cccd="001190000003")
    type(later).objects.filter(pk=later.pk).update(created_at=at(d + timedelta(days=2), "09:00"))
    return [r1, r2, r3, r4]


def _signatures(*, ward, r1, r4) -> None:
    d = DAY
    # Signatures: r4 signed on D at 16:00 (by the HCM hospital's record); one signature of
    # r1 made earlier and superseded on D by the correction.
    signer = make_user("signer", username="signer-fixture", ward=ward)
    cert = SignerCertificate.objects.create(
        der=b"0", fingerprint="f" * 64, subject="CN=fixture", issuer_name="CN=fixture ca", serial="01",
        not_before=at(d - timedelta(days=365), "00:00"), not_after=at(d + timedelta(days=365), "00:00"),
        user=signer, ward=ward, key_store="file", algorithm="ecdsa-p256-sha256")
    common = {"police_reference": "X", "payload_hash": "0" * 64, "signature": b"s",
              "algorithm": cert.algorithm, "certificate": cert, "signed_by": signer}
    Signature.objects.create(record=r4, signing_time=at(d, "16:00"), **common)
    Signature.objects.create(record=r1, signing_time=at(d - timedelta(days=4), "16:00"), status="superseded",
                             superseded_at=at(d, "15:00"), **common)


def build_scenario(hanoi_facility):
    """Returns a dict of the objects; expected figures are in the tests."""
    d = DAY
    ward = hanoi_facility.ward  # Hà Nội, province 1; hanoi_facility is its health station
    hcm_ward = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").first()
    hcm = FacilityFactory(code="HCM-R-1", name="Bệnh viện Quận 1", ward=hcm_ward, is_health_station=False)
    officer = make_user("commune_police", username="police-fixture", ward=ward)

    # Case 1: a citizen's report, confirmed on D at 08:00, naming no facility (the ward's
    # health station answers), through the clinic and the registry to "awaiting signature".
    c1 = case(origin="citizen_report", confirmed=True, submitted_at=at(d, "08:00"), ward=ward,
              status=S.AWAITING_SIGNATURE)
    note(c1, at(d, "08:00"), "confirm")
    event(c1, at(d, "09:00"), "start_review", S.SUBMITTED, S.IN_REVIEW)            # left collect after 1 h
    event(c1, at(d, "10:00"), "update_record", S.IN_REVIEW, S.RECORD_UPDATED, data={"action": "add_dose"})
    event(c1, at(d, "12:00"), "send_to_police", S.RECORD_UPDATED, S.AWAITING_POLICE)  # left update after 3 h
    event(c1, at(d, "13:00"), "verify_identity", S.AWAITING_POLICE, S.IDENTITY_VERIFIED)  # registry
    event(c1, at(d, "13:00", 1), "queue_for_signature", S.IDENTITY_VERIFIED,
          S.AWAITING_SIGNATURE)  # police 3601 s

    # Case 2: a clinic entry submitted two days before at 23:59 (that day, not the next);
    # still "submitted" at midnight of D: collect backlog aged 48 h 01 min, past its deadline.
    # It is taken up 30 s after midnight: that belongs to D + 1.
    c2 = case(origin="clinic_entry", submitted_at=at(d - timedelta(days=2), "23:59"),
              ward=ward, facility=hanoi_facility, status=S.IN_REVIEW)
    event(c2, at(d + timedelta(days=1), "00:00", 30), "start_review", S.SUBMITTED, S.IN_REVIEW)

    # Case 3: a bulk import in Hồ Chí Minh City at 00:01 on D (in UTC still the day before),
    # rejected at 23:59 as a duplicate: received and rejected on D, not in the backlog.
    c3 = case(origin="bulk_import", submitted_at=at(d, "00:01"), ward=hcm_ward, facility=hcm,
              status=S.REJECTED, reject_reason="duplicate", closed_at=at(d, "23:59"))
    event(c3, at(d, "23:59"), "reject", S.SUBMITTED, S.REJECTED, data={"reason": "duplicate"})

    # Case 4: a citizen's report never confirmed: not received, never counted.
    case(origin="citizen_report", confirmed=False, submitted_at=at(d, "11:00"), ward=ward)

    c5, c6, c7 = _police_cases(ward=ward, hanoi_facility=hanoi_facility, officer=officer)

    r1, r2, r3, r4 = _records(ward=ward, hcm_ward=hcm_ward, hcm=hcm, hanoi_facility=hanoi_facility)
    _signatures(ward=ward, r1=r1, r4=r4)

    # An import finished on D at the Hà Nội station: 10 rows, 2 invalid.
    job = ImportJob.objects.create(facility=hanoi_facility, original_name="log.csv", status="done",
                                   total_rows=10, invalid_rows=2, finished_at=at(d, "18:00"))
    return {"hcm": hcm, "hcm_ward": hcm_ward, "ward": ward, "cases": [c1, c2, c3, c5, c6, c7],
            "records": [r1, r2, r3, r4], "job": job, "officer": officer, "now": timezone.now()}

