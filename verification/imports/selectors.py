"""Reading import jobs and match reviews, always within the acting user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from records import normalize
from records.models import AuditEvent, Citizen
from vaxrecon.access import Scope
from vaxrecon.errors import NotFoundInScope
from verification.models import ImportedRow, ImportJob, MatchReview


def jobs_in_scope(*, scope: Scope) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(scope.q(facility="facility", ward="facility__ward",
                                            province="facility__ward__province"))


def job_in_scope(*, scope: Scope, pk) -> ImportJob:
    job = jobs_in_scope(scope=scope).filter(pk=pk).first()
    if job is None:
        raise NotFoundInScope(_("No such import."))
    return job


@dataclass(frozen=True)
class Landed:
    """What a job has landed, read from the ledger and the audit trail (each batch commits its
    ledger rows and its audit event together), whatever its counters say."""

    linked: int = 0
    review: int = 0
    unmatched: int = 0
    batches: int = 0

    @property
    def rows(self) -> int:
        return self.linked + self.review + self.unmatched


def job_landed(*, job: ImportJob) -> Landed:
    by_outcome = dict(ImportedRow.objects.filter(job=job).values_list("outcome").annotate(n=Count("id"))
                      .order_by())
    batches = AuditEvent.objects.filter(action="import.batch", object_type="verification.importjob",
                                        object_id=str(job.pk)).count()
    return Landed(linked=by_outcome.get("linked", 0), review=by_outcome.get("review", 0),
                  unmatched=by_outcome.get("none", 0), batches=batches)


def reviews_in_scope(*, scope: Scope) -> QuerySet[MatchReview]:
    return MatchReview.objects.filter(scope.q(facility="facility", ward="facility__ward",
                                              province="facility__ward__province"))


def review_queue(*, scope: Scope) -> QuerySet[MatchReview]:
    """Open reviews, oldest first."""
    return reviews_in_scope(scope=scope).filter(status=MatchReview.Status.OPEN).order_by("created_at", "id")


def review_in_scope(*, scope: Scope, pk) -> MatchReview:
    review = reviews_in_scope(scope=scope).filter(pk=pk).select_related("facility").first()
    if review is None:
        raise NotFoundInScope(_("No such review."))
    return review


@dataclass
class FieldRow:
    label: str
    record: str
    candidate: str
    agrees: bool | None  # None: one side is blank


@dataclass
class CandidateView:
    citizen: Citizen
    score: float
    reasons: list[dict]
    fields: list[FieldRow]


def _field(label, mine, theirs, shown_mine=None, shown_theirs=None) -> FieldRow:
    blank = not mine or not theirs
    return FieldRow(str(label), shown_mine if shown_mine is not None else str(mine or ""),
                    shown_theirs if shown_theirs is not None else str(theirs or ""),
                    None if blank else str(mine) == str(theirs))


def _birth_text(value_date, year) -> str:
    if value_date:
        return value_date.strftime("%d/%m/%Y") if hasattr(value_date, "strftime") else str(value_date)
    return str(year or "")


def review_candidates(review: MatchReview) -> list[CandidateView]:
    """The review's candidates, best first, each compared with the record field by field.
    IDs and phones are shown masked, with their agreement computed on the full values."""
    record = review.record
    by_pk = Citizen.objects.select_related("ward").in_bulk([c["citizen_id"] for c in review.candidates])
    out = []
    rec_dob = record.get("date_of_birth") or ""
    for c in review.candidates:
        citizen = by_pk.get(c["citizen_id"])
        if citizen is None:
            continue
        rows: list[FieldRow] = []
        add = rows.append
        add(_field(_("Full name"), normalize.fold_name(record.get("full_name")), citizen.name_key,
            record.get("full_name", ""), citizen.full_name))
        cand_dob = citizen.date_of_birth.isoformat() if citizen.date_of_birth else ""
        if rec_dob and cand_dob:
            add(_field(_("Date of birth"), rec_dob, cand_dob, _birth_text(_iso(rec_dob), None),
                _birth_text(citizen.date_of_birth, None)))
        else:
            add(_field(_("Year of birth"), record.get("birth_year"), citizen.birth_year))
        add(_field(_("Sex"), record.get("sex"), citizen.sex))
        ident = record.get("id_number", "")
        theirs = citizen.cccd if len(ident) != 9 else citizen.cmnd
        add(_field(_("CCCD/CMND"), ident, theirs or "", normalize.mask_id(ident),
                   normalize.mask_id(theirs or "")))
        add(_field(_("Phone"), record.get("phone"), citizen.phone, normalize.mask_phone(record.get("phone")),
            normalize.mask_phone(citizen.phone)))
        add(_field(_("Commune/ward"), record.get("ward_code"), citizen.ward_id,
            str(record.get("ward_code") or ""), citizen.ward.name if citizen.ward else ""))
        out.append(CandidateView(citizen=citizen, score=c["score"], reasons=c.get("reasons", []),
                                 fields=rows))
    return out


def _iso(text: str):
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
