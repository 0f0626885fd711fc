"""The OpenAPI schema: drf-spectacular's own validation with no warning, every endpoint and its
errors in it, checked in (regenerate: see README), and a docs page whose assets are our own."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]
CHECKED_IN = ROOT / "api" / "openapi.yaml"
REGENERATE = "python manage.py spectacular --lang en --validate --fail-on-warn --file api/openapi.yaml"


def generated() -> str:
    out = StringIO()
    call_command("spectacular", "--lang", "en", "--validate", "--fail-on-warn", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def schema_text() -> str:
    return generated()  # raises (SystemExit/SchemaGenerationError) on any warning or invalid schema


def test_the_schema_validates_without_a_warning(schema_text):
    assert schema_text.startswith("openapi: 3")


def test_the_checked_in_schema_is_the_generated_one(schema_text):
    assert CHECKED_IN.read_text(encoding="utf-8") == schema_text, f"the API changed: run `{REGENERATE}`"


def _v1_routes(resolver=None, prefix="") -> list[str]:
    routes = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            routes += _v1_routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and (prefix + str(pattern.pattern)).startswith("api/v1/"):
            route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", prefix + str(pattern.pattern))
            routes.append("/" + route.replace("{pk}", "{id}"))  # drf-spectacular names a pk `id`
    return routes


def test_every_endpoint_is_documented_with_its_errors_and_headers(schema_text):
    schema = yaml.safe_load(schema_text)
    assert sorted(_v1_routes()) == sorted(schema["paths"])
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            errors_as = "application/fhir+json" if "/fhir/" in path else "application/problem+json"
            problems = {code for code, r in operation["responses"].items()
                        if code >= "400" and errors_as in r.get("content", {})}
            assert {"400", "401", "403", "429"} <= problems, where
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if method == "post":
                assert "Idempotency-Key" in headers and "422" in problems, where
            if method == "patch":
                assert "If-Match" in headers and {"412", "428"} <= problems, where
    assert schema["components"]["securitySchemes"]["ApiKey"]["in"] == "header"


@pytest.mark.django_db
def test_the_docs_page_uses_our_own_static_files_and_no_inline_script(client):
    page = client.get("/api/docs/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "<script>" not in html and "<style>" not in html
    script = re.search(r'<script src="([^"]*\?script=[^"]*)"', html).group(1).replace("&amp;", "&")
    assert client.get(script)["Content-Type"].startswith("application/javascript")
    assert client.get("/api/schema/").status_code == 200
