"""The bytes a record's signature covers: built when signing, rebuilt when checking."""

from __future__ import annotations

from django.utils.translation import gettext as _

from records.models import InjectionRecord
from signing.canonical import canonical_payload
from signing.errors import SignatureInvalid
from signing.models import Signature
from verification.models import PoliceVerification

# What a signed payload is rebuilt from: one values() row per record version.
RECORD_VALUES = (
    "id", "version", "previous_id", "vaccine__code", "dose_number", "injection_date", "lot_number",
    "facility__code", "citizen__full_name", "citizen__sex", "citizen__date_of_birth",
    "citizen__birth_year", "citizen__dob_precision", "citizen__cccd", "citizen__cmnd",
    "citizen__nationality",
)
POLICE_VALUES = ("reference", "outcome", "at", "case__ward_id", "officer_id")


def record_payload(row: dict, police: dict) -> bytes:
    """Return the canonical bytes signed for one record version.

    ``row`` is a ``values(*RECORD_VALUES)`` row, ``police`` a ``values(*POLICE_VALUES)``
    row of the police verification. The same function serves signing and verification,
    so a verifier rebuilds exactly what the signer signed.
    """
    return canonical_payload(
        record={"id": row["id"], "version": row["version"], "previous_id": row["previous_id"],
                "vaccine": row["vaccine__code"], "dose_number": row["dose_number"],
                "injection_date": row["injection_date"], "lot_number": row["lot_number"],
                "facility": row["facility__code"]},
        identity={"full_name": row["citizen__full_name"], "sex": row["citizen__sex"],
                  "date_of_birth": row["citizen__date_of_birth"],
                  "birth_year": row["citizen__birth_year"],
                  "dob_precision": row["citizen__dob_precision"], "cccd": row["citizen__cccd"],
                  "cmnd": row["citizen__cmnd"], "nationality": row["citizen__nationality"]},
        police_verification={"reference": police["reference"], "result": police["outcome"],
                             "verified_at": police["at"], "ward": police["case__ward_id"],
                             "officer": police["officer_id"]},
    )


def payload_for_signature(signature: Signature) -> bytes:
    """Return the payload of a stored signature as the database holds it now."""
    row = InjectionRecord.objects.filter(pk=signature.record_id).values(*RECORD_VALUES).get()
    police = PoliceVerification.objects.filter(reference=signature.police_reference).values(
        *POLICE_VALUES).first()
    if police is None:
        raise SignatureInvalid(_("The police verification %(ref)s no longer exists.")
                               % {"ref": signature.police_reference})
    return record_payload(row, police)
