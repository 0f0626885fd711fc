"""Production runs gunicorn's threaded workers (4 threads a process): two signers of one
commune may sign from the same process at the same moment on the same PKCS#11 token. PKCS#11
keeps one login per process and token, so a second session's login would be refused
(CKR_USER_ALREADY_LOGGED_IN) while the first is open. Real SoftHSM2, real threads: the second
signer waits its turn and signs; every signature verifies; a token busy for too long, or opened
twice by one request, is a clear error."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest
from django.utils import translation

from signing import keystores
from signing.errors import KeyStoreError
from signing.keystores import Algorithm, Pkcs11Signer, verify_digest_signature
from tests.signing.conftest import TOKEN, USER_PIN

THREADS, SIGNATURES = 4, 10


def _open(softhsm, key_label: str = "signer-ec", algorithm: Algorithm = Algorithm.ECDSA_P256_SHA256):
    hsm, _ = softhsm
    return Pkcs11Signer(module_path=hsm.module_path, token_label=TOKEN, pin=USER_PIN, key_label=key_label,
                        algorithm=algorithm)


def test_a_second_signer_on_the_token_waits_for_the_first_then_signs(softhsm):
    first = _open(softhsm)
    opened: dict[str, object] = {}

    def second() -> None:
        try:
            signer = _open(softhsm)
            opened["at"] = time.monotonic()
            digest = hashlib.sha256(b"second signer").digest()
            opened["signature"] = (digest, signer.sign_digest(digest), signer.certificate)
            signer.close()
        except Exception as exc:  # noqa: BLE001 - asserted below
            opened["error"] = exc

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    assert "at" not in opened and "error" not in opened  # still waiting for its turn
    digest = hashlib.sha256(b"first signer").digest()
    verify_digest_signature(first.certificate, Algorithm.ECDSA_P256_SHA256, digest, first.sign_digest(digest))
    closed_at = time.monotonic()
    first.close()
    thread.join(timeout=30)
    assert "error" not in opened, opened.get("error")
    assert opened["at"] >= closed_at
    digest, signature, certificate = opened["signature"]
    verify_digest_signature(certificate, Algorithm.ECDSA_P256_SHA256, digest, signature)


@pytest.mark.parametrize("algorithm, key_label", [(Algorithm.ECDSA_P256_SHA256, "signer-ec"),
                                                  (Algorithm.RSA_PKCS1V15_SHA256, "signer-rsa")])
def test_threads_signing_on_one_token_at_once_each_get_their_own_valid_signatures(softhsm, algorithm,
                                                                                  key_label):
    start = threading.Barrier(THREADS)
    made: dict[int, list[tuple[bytes, bytes]]] = {}
    failures: list[BaseException] = []

    def sign(n: int) -> None:
        try:
            start.wait(timeout=30)
            signer = _open(softhsm, key_label, algorithm)
            try:
                digests = [hashlib.sha256(f"thread {n} record {i}".encode()).digest()
                           for i in range(SIGNATURES)]
                made[n] = [(digest, signer.sign_digest(digest)) for digest in digests]
            finally:
                signer.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread below
            failures.append(exc)

    threads = [threading.Thread(target=sign, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert sorted(made) == list(range(THREADS))
    checker = _open(softhsm, key_label, algorithm)
    try:
        for pairs in made.values():
            assert len(pairs) == SIGNATURES
            for digest, signature in pairs:
                verify_digest_signature(checker.certificate, algorithm, digest, signature)
    finally:
        checker.close()


def test_a_token_busy_too_long_is_a_clear_error_and_frees_nothing_it_did_not_take(softhsm, monkeypatch):
    monkeypatch.setattr(keystores, "TOKEN_WAIT_SECONDS", 0.3)
    first = _open(softhsm)
    refused: list[Exception] = []
    try:
        thread = threading.Thread(target=lambda: refused.extend(_attempt(softhsm, "en")))
        thread.start()
        thread.join(timeout=30)
        assert len(refused) == 1 and isinstance(refused[0], KeyStoreError)
        assert "busy with another signing" in str(refused[0])
        digest = hashlib.sha256(b"still mine").digest()  # the refused one did not close the first's turn
        verify_digest_signature(first.certificate, Algorithm.ECDSA_P256_SHA256, digest,
                                first.sign_digest(digest))
    finally:
        first.close()
    _open(softhsm).close()  # and the turn is free again


def test_one_request_opening_the_token_twice_is_told_at_once(softhsm):
    first = _open(softhsm)
    try:
        started = time.monotonic()
        with translation.override("en"), pytest.raises(KeyStoreError, match="already open for another"):
            _open(softhsm)
        assert time.monotonic() - started < 5
    finally:
        first.close()
    _open(softhsm).close()


def _attempt(softhsm, language: str) -> list[Exception]:
    try:
        with translation.override(language):  # a new thread starts in the site's language
            _open(softhsm).close()
    except Exception as exc:  # noqa: BLE001 - returned to the test
        return [exc]
    return []
