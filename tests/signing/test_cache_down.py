"""Signing while the shared cache (Redis) is down: wrong passphrases could not be counted nor a
lock seen, so no secret is tried — the right one included — and the signer is told why (429,
Retry-After); once the cache is back the same request signs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from signing.models import Signature
from tests.foundation.test_cache_down import _closed_port_url, redis_server, use_cache  # noqa: F401 - fixture
from tests.signing.conftest import PASSPHRASE

pytestmark = pytest.mark.django_db


def _post(client, cert, records, secret):
    return client.post(reverse("signing:batch"), {"certificate": cert.pk, "secret": secret,
                                                  "records": [r.pk for r in records]})


def test_with_the_cache_down_no_secret_is_tried_and_the_signer_is_told_why(
        settings, client, signer_user, register_file_key, make_awaiting_case, hanoi_facility,
        redis_server):  # noqa: F811 - the imported fixture
    cert = register_file_key(signer_user)
    _case, records = make_awaiting_case(facility=hanoi_facility)
    client.force_login(signer_user)
    use_cache(settings, _closed_port_url())
    for secret in ("đoán-sai", PASSPHRASE):
        refused = _post(client, cert, records, secret)
        assert refused.status_code == 429 and int(refused["Retry-After"]) == 60
        assert "Signing is paused" in refused.content.decode()
    assert not Signature.objects.exists()

    use_cache(settings, redis_server.url)  # back
    signed = _post(client, cert, records, PASSPHRASE)
    assert signed.status_code == 302
    assert Signature.objects.filter(record__in=records).count() == len(records)
