"""Signing's errors are domain errors: they reach pages and the API through the one mapping."""

from __future__ import annotations

from django.test import RequestFactory

from signing.errors import CertificateRejected, SigningError, WrongPassphrase
from vaxrecon.errors import DomainError, DomainErrorMiddleware, api_exception_handler


def test_every_signing_error_is_a_domain_error_with_its_message():
    error = CertificateRejected(CertificateRejected.EXPIRED, "The certificate expired on 01/01/2026.")
    assert isinstance(error, DomainError) and isinstance(error, SigningError)
    assert error.message == str(error) == "The certificate expired on 01/01/2026."
    assert error.reason == CertificateRejected.EXPIRED


def test_the_api_answers_a_wrong_passphrase_with_its_message_and_code():
    response = api_exception_handler(WrongPassphrase("The passphrase does not open this key file."), {})
    assert response.status_code == 400 and response.content_type == "application/problem+json"
    assert response.data["code"] == "key_store" and response.data["type"] == "urn:vaxrecon:problem:key_store"
    assert response.data["detail"] == "The passphrase does not open this key file."


def test_a_page_shows_a_signing_error_that_escapes_its_view(db):
    middleware = DomainErrorMiddleware(lambda request: None)
    request = RequestFactory().get("/signing/")
    response = middleware.process_exception(request, SigningError("The token was removed."))
    assert response.status_code == 400
    assert "The token was removed." in response.content.decode()
