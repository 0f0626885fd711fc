"""The objects the access matrix opens: three facilities in two wards of province A (Hà Nội), one
in province B (Hồ Chí Minh City), the personas, and in each place a case in each workflow state
(reached through the real transitions), its evidence, an import, a match review, signed records,
a signing batch, an API key of its facility and a daily-report submission (and per province a
bulk certificate issue).

Places: A1 (the personas' own facility and ward), A1F (another facility of the same ward: a
facility scope widened to its ward shows here), A2 (same province, another facility and ward: a
facility or ward scope widened to the province shows here), B (another province).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import User
from django.core.files.base import ContentFile

from accounts.models import Role
from api.services import api_key_create
from certificates.models import IssueRun
from records.models import InjectionRecord, Province, Ward
from reports.models import ReportSubmission
from signing import pki, services
from signing.models import Signature, SigningBatch
from tests.factories import (
    HANOI_WARD,
    HCM_PROVINCE,
    CitizenFactory,
    FacilityFactory,
    InjectionRecordFactory,
    make_user,
)
from verification import workflow
from verification.models import Evidence, ImportJob, MatchReview, PoliceVerification, ReconciliationCase
from verification.services import case_transition

S = workflow.CaseStatus
PLACES = ("A1", "A1F", "A2", "B")
PASSPHRASE = "matrix passphrase 2021"
# The walk from record_updated to each state the police and signers see (real transitions).
WALK = {S.AWAITING_POLICE: ["send_to_police"],
        S.IDENTITY_VERIFIED: ["send_to_police", "verify_identity"],
        S.AWAITING_SIGNATURE: ["send_to_police", "verify_identity", "queue_for_signature"]}
# Every state a case is opened in, by the name the matrix reports it under.
STATES = ("draft", S.SUBMITTED, S.IN_REVIEW, S.RECORD_UPDATED, S.AWAITING_POLICE, S.IDENTITY_VERIFIED,
          S.AWAITING_SIGNATURE, S.SIGNED)
# States in which a case is, or was, with the police (what the ward's officers may open).
POLICE_STATES = {S.AWAITING_POLICE, S.IDENTITY_VERIFIED, S.AWAITING_SIGNATURE, S.SIGNED}


@dataclass
class Place:
    name: str
    ward: Ward
    facility: object
    cases: dict = field(default_factory=dict)  # state -> case
    evidence: dict = field(default_factory=dict)  # state -> Evidence
    records: dict = field(default_factory=dict)  # "awaiting" / "signed" -> InjectionRecord
    signature: Signature | None = None
    batch: SigningBatch | None = None
    job: ImportJob | None = None
    review: MatchReview | None = None
    signer: User | None = None
    api_key: object = None  # a key of the place's facility (api.models.ApiKey)


@dataclass
class World:
    places: dict
    users: dict  # persona -> User (None for the anonymous citizen)
    submissions: dict  # province code -> ReportSubmission
    issue_runs: dict = field(default_factory=dict)  # province code -> certificates' IssueRun


def _case(place: Place, state: str, citizen) -> ReconciliationCase:
    draft = state == "draft"
    origin = (ReconciliationCase.Origin.CITIZEN_REPORT if state in ("draft", S.SUBMITTED)
              else ReconciliationCase.Origin.CLINIC_ENTRY)
    start = S.SUBMITTED if state in ("draft", S.SUBMITTED) else (
        S.IN_REVIEW if state == S.IN_REVIEW else S.RECORD_UPDATED)
    case = ReconciliationCase.objects.create(
        origin=origin, status=start, confirmed=not draft, full_name=citizen.full_name,
        date_of_birth=citizen.date_of_birth, birth_year=citizen.birth_year, dob_precision="day",
        sex=citizen.sex, id_number=citizen.cccd, phone=citizen.phone, ward=place.ward,
        facility=place.facility, citizen=None if start != S.RECORD_UPDATED else citizen)
    for name in WALK.get(S.AWAITING_SIGNATURE if state == S.SIGNED else state, []):
        if name == "verify_identity":
            PoliceVerification.objects.create(case=case, source=PoliceVerification.Source.REGISTRY,
                                              outcome=PoliceVerification.Outcome.MATCH)
        case = case_transition(case=case, name=name, actor=workflow.SYSTEM)
    return case


def _signing_identity(issuing: pki.CertAndKey) -> bytes:
    key = pki.generate_key("ec")
    cert = pki.issue_signer_certificate(issuing, key.public_key(), organisation="UBND", unit="Xã",
                                        person="Người ký")
    return pki.export_pkcs12(pki.CertAndKey(cert, key), PASSPHRASE, [issuing.certificate])


def _trust() -> pki.CertAndKey:
    year = dt.timedelta(days=365)
    root = pki.create_root_ca(not_before=dt.datetime.now(dt.UTC) - year)
    issuing = pki.create_issuing_ca(root, not_before=dt.datetime.now(dt.UTC) - year)
    services.authority_register(certificate=root.certificate, trusted=True, label="matrix root")
    services.authority_register(certificate=issuing.certificate, label="matrix issuing CA")
    for ca in (root, issuing):
        services.crl_import(data=pki.create_crl(ca).public_bytes(pki.serialization.Encoding.DER))
    return issuing


def _with_doses(case: ReconciliationCase, citizen, facility) -> InjectionRecord:
    record = InjectionRecordFactory(citizen=citizen, facility=facility, injection_date=date(2021, 8, 1))
    case.citizen = citizen
    case.save(update_fields=["citizen"])
    case.injections.set([record])
    return record


def _sign(place: Place, issuing: pki.CertAndKey) -> None:
    """Sign the place's `signed` case with its commune signer; keeps the batch and signature."""
    certificate = services.signer_certificate_import_pkcs12(
        user=place.signer, data=_signing_identity(issuing), passphrase=PASSPHRASE)
    record = place.records["signed"]
    place.batch = services.signing_start(user=place.signer, certificate_id=certificate.pk,
                                         record_ids=[record.pk], secret=PASSPHRASE)
    place.signature = Signature.objects.get(record=record)
    place.cases[S.SIGNED].refresh_from_db()


def _place(name: str, ward: Ward, issuing: pki.CertAndKey, signer: User | None) -> Place:
    place = Place(name=name, ward=ward, facility=FacilityFactory(ward=ward, name=f"Trạm Y tế {name}"))
    place.signer = signer or make_user(Role.SIGNER, username=f"signer-{name}", ward=ward)
    for n, state in enumerate(STATES):
        citizen = CitizenFactory(ward=ward, cccd=f"0010{PLACES.index(name)}09{n:05d}")
        case = _case(place, state, citizen)
        place.cases[state] = case
        if state in (S.AWAITING_SIGNATURE, S.SIGNED):
            place.records["awaiting" if state == S.AWAITING_SIGNATURE else "signed"] = _with_doses(
                case, citizen, place.facility)
        if state in ("draft", S.SUBMITTED):
            place.evidence[state] = Evidence.objects.create(
                case=case, file=ContentFile(b"\xff\xd8\xff photo", name="photo.jpg"),
                content_type="image/jpeg", size=9, sha256="0" * 64, original_name="photo.jpg")
    _sign(place, issuing)
    place.job = ImportJob.objects.create(facility=place.facility, original_name="log.csv",
                                         file=ContentFile(b"a,b\n", name="log.csv"),
                                         status=ImportJob.Status.DONE,
                                         error_report=ContentFile(b"line,error\n", name="errors.csv"))
    place.review = MatchReview.objects.create(
        job=place.job, facility=place.facility, source_record_id=f"R-{name}",
        record={"full_name": "Nguyễn Văn Hùng", "birth_year": 1990, "sex": "M", "id_number": "001090999999",
                "phone": "0912345678", "ward_code": ward.code}, candidates=[])
    return place


def _submission(province: Province, user: User) -> ReportSubmission:
    return ReportSubmission.objects.create(day=date(2021, 9, 1), province=province, version=1,
                                           submitted_by=user, figures={"doses": 1}, content_hash="0" * 64,
                                           signature=b"0\x80 detached CMS")


def build_world() -> World:
    """Every persona and object the matrix opens (see the module docstring)."""
    province_a = Province.objects.get(code=1)
    ward_a1 = Ward.objects.get(code=HANOI_WARD)
    ward_a2 = Ward.objects.filter(province=province_a).exclude(pk=ward_a1.pk).order_by("code").first()
    ward_b = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").first()
    issuing = _trust()
    own_signer = make_user(Role.SIGNER, username="signer", ward=ward_a1)
    places = {"A1": _place("A1", ward_a1, issuing, own_signer), "A1F": _place("A1F", ward_a1, issuing, None),
              "A2": _place("A2", ward_a2, issuing, None), "B": _place("B", ward_b, issuing, None)}
    a1 = places["A1"]
    province_user = make_user(Role.PROVINCIAL_OFFICER, username="province", province=province_a)
    users = {
        "clinic": make_user(Role.CLINIC_STAFF, username="clinic", facility=a1.facility),
        "police": make_user(Role.COMMUNE_POLICE, username="police", ward=ward_a1),
        "signer": own_signer,
        "province": province_user,
        "ministry": make_user(Role.MINISTRY_ANALYST, username="ministry"),
        "superuser": User.objects.create_superuser("root", password="pw-for-tests-only"),
        "anonymous": None,
    }
    for name, place in places.items():
        staff = users["clinic"] if name == "A1" else make_user(Role.CLINIC_STAFF, username=f"clinic-{name}",
                                                               facility=place.facility)
        place.api_key = api_key_create(actor=staff, name=f"HIS {name}", role=Role.CLINIC_STAFF).key
    other = make_user(Role.PROVINCIAL_OFFICER, username="province-b", province=Province.objects.get(
        code=HCM_PROVINCE))
    submissions = {1: _submission(province_a, province_user),
                   HCM_PROVINCE: _submission(Province.objects.get(code=HCM_PROVINCE), other)}
    issue_runs = {code: IssueRun.objects.create(requested_by=user, province=Province.objects.get(code=code),
                                                status=IssueRun.Status.DONE)
                  for code, user in ((1, province_user), (HCM_PROVINCE, other))}
    return World(places=places, users=users, submissions=submissions, issue_runs=issue_runs)
