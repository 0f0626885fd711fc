"""Writing the domain core: administrative units, vaccines, citizens, injection records.

This room imports no room above it. A correction that replaces a signed version emits
``records.supersession.signed_version_replaced`` and signing reacts by superseding the
signatures in the same transaction (that module says why: emit, rather than signing
reading supersession lazily from the record's status).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from records import normalize
from records.audit import record_event, record_events, snapshot
from records.catalogue import VACCINES
from records.models import (
    Citizen,
    Facility,
    InjectionRecord,
    Province,
    VaccineProduct,
    Ward,
    validate_identity,
)
from records.rows import insert_objects
from records.rules import validate_injection
from records.supersession import signed_version_replaced
from vaxrecon.errors import InvalidInput


def load_divisions(province_model=Province, ward_model=Ward) -> tuple[int, int]:
    """Load the 34 provinces and 3,321 communes from `vietnam-provinces`, idempotently.

    Returns (provinces, wards) now in the database. Migrations pass their historical models.
    """
    # Deferred: the package takes ~80 ms to import and only this loader needs it.
    from vietnam_provinces import Province as VnProvince  # noqa: PLC0415
    from vietnam_provinces import Ward as VnWard  # noqa: PLC0415

    Province, Ward = province_model, ward_model  # noqa: N806

    existing_p = set(Province.objects.values_list("code", flat=True))
    Province.objects.bulk_create(
        [Province(code=int(p.code), name=p.name, codename=p.codename)
         for p in VnProvince.iter_all() if int(p.code) not in existing_p]
    )
    existing_w = set(Ward.objects.values_list("code", flat=True))
    Ward.objects.bulk_create(
        [Ward(code=int(w.code), name=w.name, codename=w.codename, province_id=int(w.province_code))
         for w in VnWard.iter_all() if int(w.code) not in existing_w],
        batch_size=1000,
    )
    return Province.objects.count(), Ward.objects.count()


def load_vaccines(vaccine_model=VaccineProduct) -> int:
    """Create or refresh the vaccine catalogue; returns the number of products."""
    VaccineProduct = vaccine_model  # noqa: N806
    for code, name, brand, manufacturer, family, mp, vp, ma, aliases in VACCINES:
        VaccineProduct.objects.update_or_create(
            code=code,
            defaults=dict(name=name, brand=brand, manufacturer=manufacturer, family=family,
                          eu_medicinal_product=mp, eu_vaccine_type=vp, eu_ma_holder=ma,
                          aliases=aliases),
        )
    return VaccineProduct.objects.count()


def vaccine_by_name(name: str) -> VaccineProduct | None:
    """Find a product by code, name or any alias, ignoring case, accents and spacing."""
    key = normalize.fold_name(name).replace(" ", "")
    if not key:
        return None
    for product in VaccineProduct.objects.all():
        names = [product.code, product.name, product.brand, *product.aliases]
        if any(normalize.fold_name(n).replace(" ", "") == key for n in names):
            return product
    return None


def _raise_first(errors: dict[str, str]) -> None:
    """Refuse with every field at fault (the first leads), so a form shows them all at once."""
    if errors:
        raise InvalidInput.first_of(errors)


@transaction.atomic
def citizen_create(
    *, full_name: str, sex: str, birth: normalize.BirthDate, cccd: str = "", cmnd: str = "",
    phone: str = "", ward: Ward | None = None, nationality: str = "VN", actor=None,
) -> Citizen:
    """Validate and create a citizen; returns it. Raises InvalidInput naming the bad field."""
    cccd = normalize.digits_only(cccd)
    cmnd = normalize.digits_only(cmnd)
    phone = normalize.normalize_phone(phone) or (phone or "").strip()  # "abc" is a wrong phone, not none
    errors = {}
    if not normalize.normalize_name(full_name):
        errors["full_name"] = _("Full name is required.")
    if sex not in Citizen.Sex.values:
        errors["sex"] = _("Sex must be M or F.")
    if not birth.is_known:
        errors["date_of_birth"] = _("Date of birth or year of birth is required.")
    _raise_first({**errors, **validate_identity(cccd=cccd, cmnd=cmnd, sex=sex, birth_year=birth.year,
                                                phone=phone, foreign=nationality != "VN")})
    if cccd and Citizen.objects.filter(cccd=cccd).exists():
        raise InvalidInput(_("A citizen with this CCCD number already exists."), field="cccd")
    citizen = Citizen.objects.create(
        full_name=full_name, sex=sex, date_of_birth=birth.value, birth_year=birth.year,
        dob_precision=birth.precision, cccd=cccd or None, cmnd=cmnd, phone=phone, ward=ward,
        nationality=nationality,
    )
    record_event(actor=actor, action="citizen.create", obj=citizen, after=snapshot(citizen))
    return citizen


def injection_problem(*, dose_number, injection_date: date | None, lot_number: str,
                      today: date | None = None) -> InvalidInput | None:
    """The refusal `injection_record_create` raises for these dose fields (every field at fault), or
    None when they may be right: a bulk writer checks each dose with it before writing any, giving
    `today` (``timezone.localdate()``) once for all of them."""
    errors = validate_injection(dose_number=dose_number, injection_date=injection_date,
                                lot_number=(lot_number or "").strip(), today=today)
    return InvalidInput.first_of(errors) if errors else None


def injection_record_create(
    *, citizen: Citizen, vaccine: VaccineProduct, dose_number: int, injection_date: date,
    lot_number: str = "", facility: Facility | None = None,
    source: str = InjectionRecord.Source.ADMINISTERED, source_record_id: str = "", actor=None,
) -> InjectionRecord:
    """Validate and record one dose for a citizen; returns the new record (version 1)."""
    problem = injection_problem(dose_number=dose_number, injection_date=injection_date, lot_number=lot_number)
    if problem is not None:
        raise problem  # before any write: nothing to roll back
    # The record and its audit event together, in the caller's transaction when there is one and
    # without a savepoint of their own (two statements a dose): every caller lets a failure out of
    # its own transaction, which then rolls back whole.
    with transaction.atomic(savepoint=False):
        record = InjectionRecord.objects.create(
            citizen=citizen, vaccine=vaccine, dose_number=dose_number, injection_date=injection_date,
            lot_number=(lot_number or "").strip(), facility=facility, source=source,
            source_record_id=source_record_id,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        record_event(actor=actor, action="injection.create", obj=record, after=snapshot(record))
    return record


def injection_records_create(*, records: list[InjectionRecord], actor=None) -> list[InjectionRecord]:
    """Write many new doses (unsaved records: citizen, vaccine, dose fields, facility, source) as
    `injection_record_create` writes each, set-wise: one INSERT of the records (version 1, created by
    the actor) and one of their audit events, an `injection.create` each. Returns them saved. A dose
    `injection_problem` refuses is refused here too, and then nothing is written: check them first.
    In the caller's transaction when there is one, without a savepoint of its own (every refusal is
    raised before any write; a failed write fails the caller's transaction whole)."""
    today = timezone.localdate()
    for record in records:
        problem = injection_problem(dose_number=record.dose_number, injection_date=record.injection_date,
                                    lot_number=record.lot_number, today=today)
        if problem is not None:
            raise problem
    created_by = actor if getattr(actor, "is_authenticated", False) else None
    created_by_id = created_by.pk if created_by is not None else None
    for record in records:
        record.lot_number = (record.lot_number or "").strip()
        record.created_by_id, record.version = created_by_id, 1
        if created_by is not None:
            InjectionRecord.created_by.field.set_cached_value(record, created_by)
    with transaction.atomic(savepoint=False):
        saved = insert_objects(records)
        record_events(actor=actor, action="injection.create", objs=saved)
    return saved


CORRECTABLE_FIELDS = ("vaccine", "dose_number", "injection_date", "lot_number", "facility")


@transaction.atomic
def injection_record_correct(*, record: InjectionRecord, actor=None, **changes) -> InjectionRecord:
    """Correct a dose by writing a new version; the old version is kept, marked superseded.

    A signed version is never edited in place: its signature stays valid for what was signed.
    Returns the new current version.
    """
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be corrected: %s") % ", ".join(sorted(unknown)))
    current = InjectionRecord.objects.select_for_update().get(pk=record.pk)
    if current.status == InjectionRecord.Status.SUPERSEDED:
        raise InvalidInput(_("This version has already been replaced by a newer one."))
    values = {name: changes.get(name, getattr(current, name)) for name in CORRECTABLE_FIELDS}
    values["lot_number"] = (values["lot_number"] or "").strip()
    _raise_first(validate_injection(dose_number=values["dose_number"],
                                    injection_date=values["injection_date"],
                                    lot_number=values["lot_number"]))
    before = snapshot(current)
    if current.status == InjectionRecord.Status.SIGNED:
        # The one place a record version is replaced, so the one place its signatures are
        # superseded: signing reacts to this (records/supersession.py says why).
        signed_version_replaced(record=current, actor=actor)
    current.status = InjectionRecord.Status.SUPERSEDED
    current.save(update_fields=["status"])
    new = InjectionRecord.objects.create(
        citizen=current.citizen, source=current.source, source_record_id=current.source_record_id,
        version=current.version + 1, previous=current,
        created_by=actor if getattr(actor, "is_authenticated", False) else None, **values,
    )
    record_event(actor=actor, action="injection.correct", obj=new, before=before, after=snapshot(new))
    return new
