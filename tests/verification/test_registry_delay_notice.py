"""When the population registry is down, the clinic and the citizen see that verification is
delayed on a case waiting for the police, and nowhere else."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from verification.models import RegistryCircuit
from verification.services import case_send_to_police

from .helpers import update_record


@pytest.fixture
def case_with_police(case_in_review, clinic_user):
    return case_send_to_police(case=update_record(case_in_review, clinic_user), actor=clinic_user)


def _registry_down():
    now = timezone.now()
    RegistryCircuit.objects.create(service="population_registry", state=RegistryCircuit.State.OPEN,
                                   consecutive_failures=3, last_failure_at=now,
                                   opened_until=now + timedelta(minutes=1), last_error="HTTP 503")


def test_the_citizen_status_page_says_verification_is_delayed(client, case_with_police):
    url = reverse("verification:status", args=[case_with_police.tracking_code])
    assert 'data-testid="registry-delay"' not in client.get(url).text
    _registry_down()
    page = client.get(url).text
    assert 'data-testid="registry-delay"' in page
    assert "sent again automatically" in page and "verify a case yourself" not in page


def test_the_clinic_case_page_says_verification_is_delayed(client, clinic_user, case_with_police):
    client.force_login(clinic_user)
    url = reverse("verification:case_detail", args=[case_with_police.pk])
    assert 'data-testid="registry-delay"' not in client.get(url).text
    _registry_down()
    assert 'data-testid="registry-delay"' in client.get(url).text


def test_no_notice_on_a_case_that_is_not_waiting_for_the_police(client, clinic_user, case_in_review):
    _registry_down()
    client.force_login(clinic_user)
    page = client.get(reverse("verification:case_detail", args=[case_in_review.pk])).text
    assert 'data-testid="registry-delay"' not in page
