"""The signer pages: scoped list, one-entry batch signing, progress, expiry warning, record check."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.models import InjectionRecord
from signing import pki, services
from signing.models import Signature, SigningBatch
from signing.selectors import certificate_words
from tests.signing.conftest import PASSPHRASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_case(make_awaiting_case, hanoi_facility):
    return make_awaiting_case(facility=hanoi_facility, doses=2)


@pytest.fixture
def other_case(make_awaiting_case, hcm_facility):
    return make_awaiting_case(facility=hcm_facility)


def test_it_lists_the_records_awaiting_signature_in_the_signers_scope_only(client, signer_user, own_case,
                                                                            other_case, register_file_key):
    register_file_key(signer_user)
    client.force_login(signer_user)

    response = client.get(reverse("signing:batch"))

    assert response.status_code == 200
    ids = {r.pk for r in response.context["page"]}
    assert ids == {r.pk for r in own_case[1]}
    assert f'value="{other_case[1][0].pk}"' not in response.content.decode()


def test_it_signs_the_selected_records_with_one_passphrase_entry(client, signer_user, own_case,
                                                                 register_file_key):
    cert = register_file_key(signer_user)
    client.force_login(signer_user)

    response = client.post(reverse("signing:batch"), {
        "certificate": cert.pk, "secret": PASSPHRASE, "records": [r.pk for r in own_case[1]]})

    batch = SigningBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("signing:batch_detail", args=[batch.pk])
    assert batch.signed == 2
    detail = client.get(response.url)
    assert "2" in detail.content.decode() and batch.get_status_display() in detail.content.decode()


def test_a_wrong_passphrase_shows_a_clear_error_and_signs_nothing(client, signer_user, own_case,
                                                                  register_file_key):
    cert = register_file_key(signer_user)
    client.force_login(signer_user)

    response = client.post(reverse("signing:batch"), {
        "certificate": cert.pk, "secret": "wrong", "records": [own_case[1][0].pk]})

    assert response.status_code == 400
    assert "passphrase does not open" in response.content.decode()
    assert PASSPHRASE not in response.content.decode()
    assert not Signature.objects.exists()


def test_posting_an_outsiders_record_signs_nothing(client, signer_user, own_case, other_case,
                                                   register_file_key):
    cert = register_file_key(signer_user)
    client.force_login(signer_user)

    response = client.post(reverse("signing:batch"), {
        "certificate": cert.pk, "secret": PASSPHRASE, "records": [own_case[1][0].pk, other_case[1][0].pk]})

    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_other_roles_get_403(client, police_user, clinic_user):
    for user in (police_user, clinic_user):
        client.force_login(user)
        assert client.get(reverse("signing:batch")).status_code == 403


def test_it_warns_30_days_before_the_certificate_expires(client, signer_user, register_file_key):
    now = dt.datetime.now(dt.UTC)
    register_file_key(signer_user, not_before=now - dt.timedelta(days=300),
                      not_after=now + dt.timedelta(days=20))
    client.force_login(signer_user)

    response = client.get(reverse("signing:batch"))

    assert 'class="expiry-warning"' in response.content.decode()


def test_no_warning_for_a_certificate_far_from_expiry(client, signer_user, register_file_key):
    register_file_key(signer_user)
    client.force_login(signer_user)

    assert "expiry-warning" not in client.get(reverse("signing:batch")).content.decode()


def test_the_progress_block_polls_until_the_batch_is_finished(client, signer_user, register_file_key):
    cert = register_file_key(signer_user)
    batch = SigningBatch.objects.create(signed_by=signer_user, certificate=cert, total=10, signed=4)
    client.force_login(signer_user)

    running = client.get(reverse("signing:batch_progress", args=[batch.pk])).content.decode()
    SigningBatch.objects.filter(pk=batch.pk).update(status=SigningBatch.Status.DONE, signed=10)
    done = client.get(reverse("signing:batch_progress", args=[batch.pk])).content.decode()

    assert 'hx-trigger="every 1s"' in running and 'value="40"' in running
    assert "hx-get" not in done


def test_another_signers_batch_is_404(client, signer_user, other_signer_user, register_file_key):
    cert = register_file_key(signer_user)
    batch = SigningBatch.objects.create(signed_by=signer_user, certificate=cert, total=1)
    client.force_login(other_signer_user)

    assert client.get(reverse("signing:batch_detail", args=[batch.pk])).status_code == 404


@pytest.fixture
def signed_own(client, signer_user, own_case, register_file_key):
    cert = register_file_key(signer_user)
    services.signing_start(user=signer_user, certificate_id=cert.pk, record_ids=[r.pk for r in own_case[1]],
                           secret=PASSPHRASE)
    return own_case[1]


def test_the_record_check_reports_chain_validity_revocation_and_tamper_results_as_json(client, signer_user,
                                                                                       signed_own):
    client.force_login(signer_user)

    data = client.get(reverse("signing:check", args=[signed_own[0].pk]) + "?format=json").json()

    assert data["ok"] is True
    (signature,) = data["signatures"]
    assert [c["name"] for c in signature["checks"]] == ["chain", "signature", "payload"]
    assert all(c["ok"] for c in signature["checks"])


def test_the_record_check_page_shows_a_tampered_record(client, signer_user, signed_own):
    InjectionRecord.objects.filter(pk=signed_own[0].pk).update(lot_number="CHANGED1")
    client.force_login(signer_user)

    response = client.get(reverse("signing:check", args=[signed_own[0].pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "differs from what was signed" in page
    # The certificate in words, not its distinguished name.
    words = certificate_words(Signature.objects.get(record=signed_own[0]).certificate)
    assert f"with {words.holder}" in page and f"issued by {words.issuer}" in page and words.serial in page


def test_the_record_check_of_an_outsiders_record_is_404(client, other_signer_user, signed_own):
    client.force_login(other_signer_user)

    assert client.get(reverse("signing:check", args=[signed_own[0].pk])).status_code == 404


def test_the_record_check_is_403_for_police(client, police_user, signed_own):
    client.force_login(police_user)

    assert client.get(reverse("signing:check", args=[signed_own[0].pk])).status_code == 403


def test_the_cms_download_is_scoped(client, signer_user, other_signer_user, signed_own):
    sig = Signature.objects.first()
    client.force_login(signer_user)
    response = client.get(reverse("signing:signature_cms", args=[sig.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pkcs7-signature"
    client.force_login(other_signer_user)
    assert client.get(reverse("signing:signature_cms", args=[sig.pk])).status_code == 404


def test_a_signer_registers_a_pkcs12_file_on_the_certificates_page(client, signer_user, trust_store,
                                                                   file_identities, issuing_ca):
    p12 = pki.export_pkcs12(file_identities["ec"], PASSPHRASE, [issuing_ca.certificate])
    client.force_login(signer_user)

    wrong = client.post(reverse("signing:certificates"), {
        "file": SimpleUploadedFile("key.p12", p12), "passphrase": "wrong"})
    right = client.post(reverse("signing:certificates"), {
        "file": SimpleUploadedFile("key.p12", p12), "passphrase": PASSPHRASE})

    assert wrong.status_code == 400 and "passphrase does not open" in wrong.content.decode()
    assert right.status_code == 302
    assert signer_user.signer_certificates.count() == 1


@pytest.mark.services
def test_a_large_batch_is_signed_by_a_real_worker(client, transactional_db, celery_worker_process,
                                                  signer_user, register_file_key, make_awaiting_case,
                                                  hanoi_facility, settings):
    settings.SIGNING_SYNC_LIMIT = 2
    cert = register_file_key(signer_user)
    _case, records = make_awaiting_case(facility=hanoi_facility, doses=4)
    client.force_login(signer_user)

    response = client.post(reverse("signing:batch"), {"certificate": cert.pk, "secret": PASSPHRASE,
                                                      "select_all": "on"})

    batch = SigningBatch.objects.get()
    assert response.status_code == 302
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not batch.is_finished:
        time.sleep(0.3)
        batch.refresh_from_db()
    assert (batch.status, batch.signed, batch.message) == (SigningBatch.Status.DONE, 4, "")
    assert Signature.objects.filter(record__in=records).count() == 4
