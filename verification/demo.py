"""Demo reconciliation cases, so each role has work waiting after `seed_demo`.

Citizen reports are made as a citizen makes them (`case_submit`) and confirmed with the
one-time code the SMS backend delivered (read from the in-memory outbox for the length of
the seeding); some are then carried along the procedure by the demo clinic account through
the same services the pages use. Idempotent: nothing is added when demo cases exist.
"""

from __future__ import annotations

import re
from datetime import date

from django.contrib.auth.models import User
from django.test import override_settings

from records import normalize
from records.models import Citizen, Facility, VaccineProduct
from verification import sms
from verification.models import ReconciliationCase
from verification.police.services import police_decide
from verification.services import cases

DEMO_LOT = "DEMO1"


def seed_demo_cases() -> list[ReconciliationCase]:
    """Create six cases at the demo Hà Nội health station in several states; returns them."""
    facility = Facility.objects.filter(code="HN-TYT-01").first()
    clinic = User.objects.filter(username="clinic").first()
    if facility is None or clinic is None:
        return []
    if ReconciliationCase.objects.filter(claimed_doses__lot_number=DEMO_LOT).exists():
        return []
    people = list(Citizen.objects.filter(ward=facility.ward).exclude(cccd=None).exclude(phone="")
                  .order_by("pk")[:6])
    moderna = VaccineProduct.objects.get(code="moderna")
    created = []
    with override_settings(SMS_BACKEND="verification.sms.LocmemBackend"):
        for i, person in enumerate(people):
            birth = normalize.BirthDate(person.date_of_birth, person.birth_year, person.dob_precision)
            sms.outbox.clear()
            case = cases.case_submit(
                full_name=person.full_name, birth=birth, sex=person.sex, id_number=person.cccd,
                phone=person.phone, ward=person.ward, facility=facility, vaccine=moderna, dose_number=3,
                injection_date=date(2022, 3, 10 + i), lot_number=DEMO_LOT,
            )
            code = re.search(r"\b(\d{6})\b", sms.outbox[-1].text).group(1)
            created.append(cases.case_confirm(case=case, code=code))
        sms.outbox.clear()
    # Two stay new in the queue, one is in review, three go on to the commune police, who
    # confirm the last one's identity so the signer has a record waiting.
    if len(created) >= 3:
        cases.case_start_review(case=created[2], actor=clinic)
    for case, person in zip(created[3:], people[3:]):
        cases.case_start_review(case=case, actor=clinic)
        cases.case_link_citizen(case=case, actor=clinic, citizen_id=person.pk)
        cases.case_add_dose(case=case, actor=clinic, vaccine=moderna, dose_number=3,
                            injection_date=case.claimed_doses.first().injection_date, facility=facility)
        cases.case_send_to_police(case=case, actor=clinic)
    police = User.objects.filter(username="police").first()
    if police is not None and len(created) == 6:
        police_decide(officer=police, case_id=created[5].pk, outcome="match",
                      note="Demo: checked against the CCCD card at the ward office.")
    return created
