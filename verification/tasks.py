"""Background work for cases: SMS news to citizens, clearing unconfirmed reports."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from records.audit import record_event
from verification import workflow
from verification.models import ReconciliationCase
from verification.services.outbox import outbox_sweep
from verification.sms import send_sms

logger = logging.getLogger(__name__)
UNCONFIRMED_KEPT = timedelta(days=1)


def status_url(case: ReconciliationCase) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("verification:status", args=[case.tracking_code])


def citizen_news_text(case: ReconciliationCase, state: str) -> str:
    """The SMS telling the citizen what happened, in the site's first language."""
    with translation.override(settings.LANGUAGE_CODE):
        if state == workflow.CaseStatus.REJECTED:
            text = _("VaxRecon: request %(code)s was rejected: %(reason)s.") % {
                "code": case.tracking_code, "reason": case.get_reject_reason_display()}
        elif state == workflow.CaseStatus.INFO_REQUESTED:
            text = _("VaxRecon: the clinic needs more information for request %(code)s.") % {
                "code": case.tracking_code}
        elif state == workflow.CaseStatus.SIGNED:
            text = _("VaxRecon: your vaccination data (request %(code)s) is verified and signed.") % {
                "code": case.tracking_code}
        else:
            text = _("VaxRecon: request %(code)s is now: %(state)s.") % {
                "code": case.tracking_code, "state": workflow.CaseStatus(state).label}
        return f"{text} {_('Details')}: {status_url(case)}"


@shared_task(autoretry_for=(Exception,), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def notify_citizen(case_id: int, state: str) -> bool:
    """Text the reporting citizen about their case reaching `state`. Idempotent enough: it
    sends only while the case is still in that state. Returns whether an SMS went out."""
    case = ReconciliationCase.objects.filter(pk=case_id).first()
    if case is None or case.status != state or not case.phone:
        return False
    send_sms(case.phone, citizen_news_text(case, state))
    return True


@shared_task
def purge_unconfirmed_reports() -> int:
    """Remove reports never confirmed with their code (and their files) after a day."""
    old = ReconciliationCase.objects.filter(origin=ReconciliationCase.Origin.CITIZEN_REPORT, confirmed=False,
                                            submitted_at__lt=timezone.now() - UNCONFIRMED_KEPT)
    count = 0
    for case in old.iterator():
        for evidence in case.evidence.all():
            evidence.file.delete(save=False)
        with transaction.atomic():
            # The database lets a never-confirmed draft's timeline go with it (records migration
            # 0006); the trail keeps that it went, without the draft's personal data.
            record_event(actor=None, action="case.purge_unconfirmed", obj=case,
                         before={"tracking_code": case.tracking_code, "events": case.events.count()})
            case.delete()
        count += 1
    if count:
        logger.info("purged %d unconfirmed reports", count)
    return count


@shared_task
def relay_outbox() -> int:
    """Beat (and every worker start): send the tasks kept in the outbox while the broker was
    down; returns how many went out."""
    return outbox_sweep()
