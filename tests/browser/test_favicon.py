"""Every page names its icon, served from static/ (no 404 for it, in either language)."""

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def _icon_of(page) -> tuple[int, str, bytes]:
    href = page.get_attribute("link[rel=icon]", "href")
    assert href and href.startswith("/static/")
    response = page.request.get(page.base_url + href)
    return response.status, response.headers.get("content-type", ""), response.body()


def test_the_login_and_home_pages_have_an_icon_and_load_without_a_404(page, clinic_user):
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)

    page.goto(page.base_url + "/login/")
    status, kind, body = _icon_of(page)
    assert (status, kind) == (200, "image/svg+xml") and b"<svg" in body
    browser_login(page, "clinic-hn")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert "Log out" in page.inner_text("header")
    assert _icon_of(page)[0] == 200
    assert missing == []
