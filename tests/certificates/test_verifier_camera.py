"""The verifier page's camera scan: a QR decoder from npm (jsqr) served from our static files, and
the page as before (paste, upload) when that file is missing."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from PIL import Image

from certificates import qr, services
from certificates.views import CAMERA_LIBRARY
from tests.conftest import CHROMIUM

URL = "/certificates/verify/"
INSTALLED = (Path(django_settings.BASE_DIR) / "node_modules" / "jsqr" / "dist" / "jsQR.js").is_file()


@pytest.fixture
def issued(dsc, signed_citizen):
    citizen, _records = signed_citizen(full_name="Trần Thị Ánh", sex="F")
    return services.certificate_issue(citizen=citizen).certificate


@pytest.mark.django_db
def test_without_the_decoder_file_the_page_loads_no_decoder_and_still_checks_a_pasted_text(issued, settings,
                                                                                         tmp_path):
    settings.STATICFILES_DIRS = [("vendor", tmp_path)]  # node_modules without jsqr
    settings.STATIC_ROOT = tmp_path / "collected"  # nor a collectstatic a benchmark left in the checkout
    body = Client().get(URL).content.decode()
    assert "jsQR.js" not in body and "certificates/verifier.js" in body
    assert 'data-camera-start hidden' in body
    assert 'data-verdict="valid"' in Client().post(URL, {"hc1": issued.hc1}).content.decode()


@pytest.mark.django_db
def test_with_the_decoder_file_installed_the_page_loads_it(settings, tmp_path):
    (tmp_path / "jsqr" / "dist").mkdir(parents=True)
    (tmp_path / "jsqr" / "dist" / "jsQR.js").write_text("// the npm file stands here\n")
    settings.STATICFILES_DIRS = [("vendor", tmp_path)]
    body = Client().get(URL).content.decode()
    assert f'src="/static/{CAMERA_LIBRARY}"' in body


@pytest.mark.browser
def test_without_a_decoder_chromium_shows_no_camera_button_and_the_paste_works(page, issued, settings,
                                                                               tmp_path):
    settings.STATICFILES_DIRS = [("vendor", tmp_path)]
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(page.base_url + reverse("certificates:verify"))
    assert not page.locator("[data-camera-start]").is_visible()
    page.fill("textarea[name=hc1]", issued.hc1)
    page.click("button[type=submit].primary")
    assert page.locator("[data-verdict]").get_attribute("data-verdict") == "valid"
    assert not errors


def y4m(png: bytes, path: Path, *, side: int = 480, frames: int = 30) -> None:
    """A Y4M video (4:2:0) of the QR image on white, what Chromium's fake camera plays."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    canvas = Image.new("RGB", (side, side), "white")
    image.thumbnail((side - 40, side - 40), Image.NEAREST)
    canvas.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (side // 2, side // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)


@pytest.mark.browser
@pytest.mark.skipif(not INSTALLED, reason="npm package jsqr not installed (node_modules/jsqr)")
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium not installed")
def test_the_camera_reads_the_qr_code_and_checks_it(browser, live_server, issued, tmp_path, reference_data):
    video = tmp_path / "qr.y4m"
    y4m(qr.qr_png(issued.hc1, scale=3), video)
    # A second Chromium with a fake camera, from the session's Playwright (a second
    # sync_playwright() cannot start inside the first one's event loop).
    camera = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera.new_context(locale="vi-VN")
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(live_server.url + reverse("certificates:verify"))
        page.click("[data-camera-start]")
        page.wait_for_selector("[data-verdict]")
        assert page.locator("[data-verdict]").get_attribute("data-verdict") == "valid"
    finally:
        camera.close()
    shutil.rmtree(tmp_path, ignore_errors=True)
