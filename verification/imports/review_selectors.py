"""What the match review page shows: the imported record and each candidate in words, compared
field by field, with the engine's verdict as a strength; and the registry search beside them.

The engine's score is log2 posterior odds (`verification.linkage.results`); a reviewer sees a
strength in words, never the number. A candidate the evidence is against (score <= 0) is shown
apart and cannot be chosen (`reviews.review_accept` refuses it too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from records import normalize
from records.models import Citizen, VaccineProduct, Ward
from verification.models import MatchReview
from verification.selectors import Verdict, strength_of

# Scores this close are equally strong (the engine rounds them to 0.01 when stored).
TIE = 0.05
REGISTRY_SEARCH_LIMIT = 20
# The fields whose difference must be confirmed, with a reason, before a candidate is accepted.
CONFIRMED_FIELDS = {"date_of_birth": gettext_lazy("Date of birth"), "id_number": gettext_lazy("CCCD/CMND"),
                    "ward": gettext_lazy("Commune/ward")}
DOSE_WORDS = {1: gettext_lazy("first dose"), 2: gettext_lazy("second dose"), 3: gettext_lazy("third dose"),
              4: gettext_lazy("fourth dose"), 5: gettext_lazy("fifth dose"), 6: gettext_lazy("sixth dose"),
              7: gettext_lazy("seventh dose"), 8: gettext_lazy("eighth dose"), 9: gettext_lazy("ninth dose"),
              10: gettext_lazy("tenth dose")}


def dose_words(number) -> str:
    try:
        return str(DOSE_WORDS[int(number)])
    except (KeyError, TypeError, ValueError):
        return _("dose %(n)s") % {"n": number}


def _day(value: date | None) -> str:
    return date_format(value, "d/m/Y") if value else ""


def _iso(text) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def _sex_words(code) -> str:
    return str(Citizen.Sex(code).label) if code in Citizen.Sex.values else ""


def _place(ward: Ward | None) -> str:
    return f"{ward.name}, {ward.province.name}" if ward else ""


def _birth_words(day: date | None, year) -> str:
    if day:
        return _day(day)
    return _("year %(year)s") % {"year": year} if year else ""


# --- The record and a citizen, side by side ---------------------------------------------

@dataclass
class FieldRow:
    key: str
    label: str
    record: str
    candidate: str
    agrees: bool | None  # None: one side is blank


@dataclass
class RecordView:
    """The imported record in words (a dict of the same keys as a FieldRow's, plus the dose)."""

    values: dict[str, str]
    ward: Ward | None
    vaccine: str
    dose: str
    injection_date: str
    line: object


def record_view(record: dict) -> RecordView:
    ward = (Ward.objects.select_related("province").filter(pk=record.get("ward_code")).first()
            if record.get("ward_code") else None)
    vaccine = VaccineProduct.objects.filter(pk=record.get("vaccine_id")).first()
    ident = record.get("id_number") or ""
    values = {
        "full_name": record.get("full_name") or "",
        "date_of_birth": _birth_words(_iso(record.get("date_of_birth")), record.get("birth_year")),
        "sex": _sex_words(record.get("sex")), "id_number": normalize.mask_id(ident),
        "phone": normalize.mask_phone(record.get("phone")), "ward": _place(ward)}
    return RecordView(values=values, ward=ward,
                      vaccine=vaccine.name if vaccine else record.get("vaccine", ""),
                      dose=dose_words(record.get("dose_number")),
                      injection_date=_day(_iso(record.get("injection_date"))), line=record.get("line"))


def queue_texts(record: dict) -> dict[str, str]:
    """The words the review queue shows for a record (no query: the record's own values)."""
    return {"birth": _birth_words(_iso(record.get("date_of_birth")), record.get("birth_year")),
            "dose": dose_words(record.get("dose_number")),
            "injection_date": _day(_iso(record.get("injection_date")))}


def _same(mine, theirs) -> bool | None:
    return None if not mine or not theirs else mine == theirs


def _their_id(record: dict, citizen: Citizen) -> str:
    return (citizen.cmnd if len(record.get("id_number") or "") == 9 else citizen.cccd) or ""


def _birth_agrees(record: dict, citizen: Citizen) -> bool | None:
    mine = _iso(record.get("date_of_birth"))
    if mine and citizen.date_of_birth:
        return mine == citizen.date_of_birth
    return _same(record.get("birth_year"), citizen.birth_year)


def agreements(record: dict, citizen: Citizen) -> dict[str, bool | None]:
    """Field key -> True (same), False (differs) or None (blank on one side), on full values."""
    return {
        "full_name": _same(normalize.fold_name(record.get("full_name")), citizen.name_key),
        "date_of_birth": _birth_agrees(record, citizen),
        "sex": _same(record.get("sex"), citizen.sex),
        "id_number": _same(record.get("id_number"), _their_id(record, citizen)),
        "phone": _same(record.get("phone"), citizen.phone),
        "ward": _same(record.get("ward_code"), citizen.ward_id),
    }


def differing_fields(record: dict, citizen: Citizen) -> list[str]:
    """Of the fields whose difference must be confirmed (`CONFIRMED_FIELDS`), those that differ."""
    agree = agreements(record, citizen)
    return [key for key in CONFIRMED_FIELDS if agree[key] is False]


def field_names(keys: list[str]) -> str:
    """The confirmed fields `keys` in words, in the active language."""
    return ", ".join(str(CONFIRMED_FIELDS[k]) for k in keys if k in CONFIRMED_FIELDS)


def claim_record(case) -> dict:
    """A case's claimed identity as a record of the keys `agreements` compares, so the case page
    and the match review ask for the same confirmations."""
    return {"full_name": case.full_name, "sex": case.sex, "id_number": case.id_number, "phone": case.phone,
            "date_of_birth": case.date_of_birth.isoformat() if case.date_of_birth else None,
            "birth_year": case.birth_year, "ward_code": case.ward_id}


LABELS = {"full_name": gettext_lazy("Full name"), "date_of_birth": gettext_lazy("Date of birth"),
          "sex": gettext_lazy("Sex"), "id_number": gettext_lazy("CCCD/CMND"), "phone": gettext_lazy("Phone"),
          "ward": gettext_lazy("Commune/ward")}


def _citizen_values(record: dict, citizen: Citizen) -> dict[str, str]:
    return {"full_name": citizen.full_name,
            "date_of_birth": _birth_words(citizen.date_of_birth, citizen.birth_year),
            "sex": _sex_words(citizen.sex), "id_number": normalize.mask_id(_their_id(record, citizen)),
            "phone": normalize.mask_phone(citizen.phone), "ward": _place(citizen.ward)}


@dataclass
class CandidateView(Verdict):
    citizen: Citizen
    score: float | None
    strength: str
    fields: list[FieldRow]
    differs: list[str]  # labels of the confirmed fields that differ

    @property
    def differs_text(self) -> str:
        return ", ".join(self.differs)


def compare(record: dict, shown: RecordView, citizen: Citizen, score: float | None) -> CandidateView:
    agree = agreements(record, citizen)
    theirs = _citizen_values(record, citizen)
    rows = [FieldRow(key, str(label), shown.values[key], theirs[key], agree[key])
            for key, label in LABELS.items()]
    return CandidateView(citizen=citizen, score=score, strength=strength_of(score), fields=rows,
                         differs=[str(CONFIRMED_FIELDS[k]) for k in differing_fields(record, citizen)])


# --- The page ----------------------------------------------------------------------------

@dataclass
class ReviewPage:
    record: RecordView
    likely: list[CandidateView] = field(default_factory=list)
    unlikely: list[CandidateView] = field(default_factory=list)
    tied: int = 0  # registry people of the record's name and year of birth, when the best are tied


def tied_count(record: dict, scores: list[float]) -> int:
    """When the strongest of these candidates' `scores` are equally strong (whether or not the
    evidence is for them: a common name and nothing else): how many registry people share the
    record's name and year of birth; else 0. The match review and the case page say it alike."""
    scores = sorted((s for s in scores if s is not None), reverse=True)
    if len(scores) < 2 or scores[0] - scores[1] > TIE:
        return 0
    same = Citizen.objects.filter(name_key=normalize.fold_name(record.get("full_name")),
                                  birth_year=record.get("birth_year"))
    return max(same.count(), sum(1 for s in scores if scores[0] - s <= TIE))


def review_page(review: MatchReview) -> ReviewPage:
    """The record in words and its candidates strongest first, split into those that may be the
    person and those the evidence is against; `tied` says how many share the name and year of
    birth when the strongest are equally strong."""
    record = review.record
    shown = record_view(record)
    by_pk = Citizen.objects.select_related("ward__province").in_bulk(
        [c["citizen_id"] for c in review.candidates])
    ranked = sorted(review.candidates, key=lambda c: -c["score"])
    views = [compare(record, shown, by_pk[c["citizen_id"]], c["score"])
             for c in ranked if c["citizen_id"] in by_pk]
    likely = [v for v in views if v.selectable]
    return ReviewPage(record=shown, likely=likely, unlikely=[v for v in views if not v.selectable],
                      tied=tied_count(record, [v.score for v in views]))


# --- Searching the registry from the review page -----------------------------------------

def registry_search(*, cccd: str = "", phone: str = "", full_name: str = "",
                    date_of_birth: date | None = None) -> list[Citizen]:
    """Citizens with exactly this CCCD/CMND, or phone, or folded name and date of birth (each on
    its normalised value and index); at most REGISTRY_SEARCH_LIMIT. Nothing without a whole key:
    the registry is not browsed."""
    found: dict[int, Citizen] = {}
    base = Citizen.objects.select_related("ward__province")
    ident = normalize.normalize_id(cccd)
    queries = []
    if ident.cccd:
        queries.append(base.filter(cccd=ident.cccd))
    if ident.cmnd:
        queries.append(base.filter(cmnd=ident.cmnd))
    if normalize.normalize_phone(phone):
        queries.append(base.filter(phone=normalize.normalize_phone(phone)))
    if normalize.fold_name(full_name) and date_of_birth:
        queries.append(base.filter(birth_year=date_of_birth.year, name_key=normalize.fold_name(full_name),
                                   date_of_birth=date_of_birth))
    for query in queries:
        for citizen in query.order_by("id")[:REGISTRY_SEARCH_LIMIT]:
            found.setdefault(citizen.pk, citizen)
    return list(found.values())[:REGISTRY_SEARCH_LIMIT]


def search_results(review: MatchReview, terms: dict, shown: RecordView) -> list[CandidateView]:
    """The registry search's citizens compared with the record (scored when the engine listed them)."""
    scores = {c["citizen_id"]: c["score"] for c in review.candidates}
    return [compare(review.record, shown, c, scores.get(c.pk)) for c in registry_search(**terms)]
