"""Reading import jobs and match reviews, always within the acting user's scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from records.models import AuditEvent
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
