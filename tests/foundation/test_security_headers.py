"""Security headers on every page, HTTPS-only production settings that pass `check --deploy`,
and templates that need no inline script or style (so the Content-Security-Policy can forbid
them)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {"SECRET_KEY": "s3cret-" * 10, "DATABASE_URL": "sqlite:////tmp/vaxrecon-deploy-check.db",
            "ALLOWED_HOSTS": "vaxrecon.example", "POPULATION_REGISTRY_API_KEY": "k" * 32,
            "DJANGO_SETTINGS_MODULE": "vaxrecon.settings.prod"}


def _prod(*args: str, **env) -> subprocess.CompletedProcess:
    dropped = ("DATABASE_URL", "SECURE_", "CSP_", "DJANGO_ALLOW_ASYNC")  # the browser tests set the last
    clean = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    # Not checked: the tests read the exit status and output themselves.
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**clean, **PROD_ENV, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def test_a_page_carries_the_content_security_policy_and_the_other_security_headers(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_the_citizen_pages_and_the_api_carry_the_policy_too(client, db, reference_data):
    for url in ("/verification/report/", "/verification/status/", "/healthz"):
        response = client.get(url)
        assert "script-src 'self'" in response["Content-Security-Policy"], url


def test_the_test_settings_keep_the_policy_on_so_the_browser_tests_check_it():
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]


def test_production_settings_pass_the_deployment_checks_without_a_warning():
    result = _prod("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_redirects_to_https_behind_the_proxy_with_hsts_and_secure_cookies():
    code = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps("
            "[s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS,"
            " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE]))")
    default = json.loads(_prod("-c", code).stdout)
    assert default == [True, ["HTTP_X_FORWARDED_PROTO", "https"], 31_536_000, True, True, True]
    short = json.loads(_prod("-c", code, SECURE_HSTS_SECONDS="3600").stdout)
    assert short[2] == 3600  # a new domain starts with a short max-age


def test_production_answers_plain_http_with_a_redirect_and_https_with_hsts():
    code = ("import django; django.setup(); from django.test import Client;"
            "c = Client(HTTP_HOST='vaxrecon.example');"
            "plain = c.get('/logout/'); secure = c.get('/logout/', HTTP_X_FORWARDED_PROTO='https');"
            "print(plain.status_code, plain.get('Location'), secure.get('Strict-Transport-Security'))")
    result = _prod("-c", code)
    # /logout/ answers a GET with 405 and no template: the production static manifest is not built here.
    assert result.stdout.split(None, 2) == ["301", "https://vaxrecon.example/logout/",
                                            "max-age=31536000; includeSubDomains; preload\n"], result.stderr


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=|<style", re.I)


def test_no_template_has_an_inline_script_an_event_handler_or_a_style_attribute():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if INLINE_SCRIPT.search(line) or HANDLER.search(line) or STYLE_ATTRIBUTE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
