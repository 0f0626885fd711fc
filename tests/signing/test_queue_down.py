"""A large batch while Redis (the signing cache that keeps its one-use key) cannot be reached:
refused with a clear message, nothing written."""

from __future__ import annotations

import socket

import pytest

from signing import services
from signing.models import SigningBatch
from tests.signing.conftest import PASSPHRASE
from vaxrecon.errors import ServiceUnavailable
from verification.models import TaskOutbox

pytestmark = pytest.mark.django_db


def test_a_large_batch_is_refused_with_a_message_when_the_signing_cache_is_down(
        settings, signer_user, register_file_key, make_awaiting_case, hanoi_facility):
    cert = register_file_key(signer_user)
    _case, records = make_awaiting_case(facility=hanoi_facility, doses=3)
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.SIGNING_SYNC_LIMIT = 1
    settings.CACHES = {**settings.CACHES, "signing": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}}

    with pytest.raises(ServiceUnavailable) as refused:
        services.signing_start(user=signer_user, certificate_id=cert.pk, record_ids=[r.pk for r in records],
                               secret=PASSPHRASE)

    assert "at most 1 records" in refused.value.message
    assert not SigningBatch.objects.exists() and not TaskOutbox.objects.exists()
