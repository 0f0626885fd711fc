"""The API's documentation page in Chromium with the Content-Security-Policy on: Swagger UI loads from
our own static files (no CDN), draws every operation of the schema, and the browser reports no violation."""

from __future__ import annotations

import pytest

from tests.browser.test_content_security_policy import CspWatch

pytestmark = pytest.mark.browser


def test_the_docs_page_draws_the_schema_with_no_policy_violation(page, transactional_db):
    watch = CspWatch(page)
    errors, outside = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(page.base_url) else None)
    watch.open("/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert "VaxRecon API" in page.inner_text(".swagger-ui .info")
    assert page.locator(".opblock").count() >= 30
    assert page.locator("text=/api/v1/injections/").count() >= 1
    assert watch.violations() == [] and errors == [] and outside == []
