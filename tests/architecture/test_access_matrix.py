"""The access matrix: every URL pattern the resolver knows, opened by every persona, for objects in
and out of the persona's scope and in each workflow state, answers as the table below says.

Personas: clinic staff of facility A1, commune police and a commune signer of ward A1, the
provincial officer of province A, a Ministry analyst, a superuser without a role, and the
anonymous citizen. Objects live in A1 (own), A1F (another facility of the same ward), A2 (same
province, another facility and ward) and B (another province); see access_world.py.

Expected answers: a role the route is not for gets 403 (or 404); in scope 200/302 (400/409 for an
empty form); out of scope 404 (or 403); the anonymous visitor is sent to log in unless the page is
public. A leak is an answer of 2xx/3xx where a refusal was expected. A route missing from the
table fails ("new route X not in the access matrix"): a new page is placed in the matrix when added.
Every request runs in a transaction rolled back after it, so each starts from the same objects.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role
from tests.architecture.access_world import PLACES, POLICE_STATES, STATES, World, build_world
from tests.factories import HCM_PROVINCE

CLINIC, POLICE, SIGNER = Role.CLINIC_STAFF, Role.COMMUNE_POLICE, Role.SIGNER
PROVINCE, MINISTRY = Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST
PUBLIC, LOGGED_IN, ADMIN = "public", "logged in", "admin"
ALLOW, DENY = {200, 302, 400, 409}, {403, 404}
PERSONAS = ["clinic", "police", "signer", "province", "ministry", "superuser", "anonymous"]
PERSONA_ROLE = {"clinic": CLINIC, "police": POLICE, "signer": SIGNER, "province": PROVINCE,
                "ministry": MINISTRY, "superuser": "superuser", "anonymous": ""}
# Which places each persona's scope holds (A1: own facility and ward; A1F: own ward; A2: same province).
HOLDS = {"clinic": {"A1"}, "police": {"A1", "A1F"}, "signer": {"A1", "A1F"}, "province": {"A1", "A1F", "A2"},
         "ministry": set(PLACES), "superuser": set(PLACES), "anonymous": set()}


@dataclass(frozen=True)
class Route:
    who: object  # a set of roles, PUBLIC, LOGGED_IN or ADMIN
    method: str = "GET"
    kind: str = ""  # the object in the path (see _variants); "" for none
    found: bool = True  # False: even in scope the answer is 404 (a name that is no action)
    names_object: bool = False  # the form names a dose or citizen: an empty one may be a 404
    api: bool = False  # an API endpoint: the anonymous caller gets 401/403, not the log-in page


def _clinic_case(kind="case", method="POST", *, names_object=False):
    return Route({CLINIC}, method, kind, names_object=names_object)


REPORTERS = {PROVINCE, MINISTRY}
CHECKERS = {SIGNER, PROVINCE, MINISTRY, CLINIC}
MATRIX: dict[str, Route] = {
    "home": Route(LOGGED_IN), "healthz": Route(PUBLIC), "login": Route(PUBLIC),
    "logout": Route(PUBLIC, "POST"), "set_language": Route(PUBLIC, "POST"),
    "admin/": Route(ADMIN),  # every other route of the admin site: superusers only
    "admin:login": Route(PUBLIC), "admin:logout": Route(PUBLIC, "POST"),
    # Citizens.
    "verification:report": Route(PUBLIC), "verification:report_confirm": Route(PUBLIC),
    "verification:status_lookup": Route(PUBLIC), "verification:status": Route(PUBLIC, kind="code"),
    "verification:status_code": Route(PUBLIC, "POST", "code"),
    "verification:status_withdraw": Route(PUBLIC, "POST", "code"),
    "verification:status_provide_info": Route(PUBLIC, "POST", "code"),
    "verification:guide": Route(PUBLIC), "verification:facility_search": Route(PUBLIC),
    "verification:ward_options": Route(PUBLIC),
    # The clinic.
    "verification:queue": Route({CLINIC}), "verification:case_detail": _clinic_case(method="GET"),
    "verification:evidence": _clinic_case("evidence", "GET"),
    **{f"verification:case_{a}": _clinic_case() for a in (
        "start_review", "create_citizen", "correct_identity", "add_dose", "send_to_police", "reject",
        "request_info", "registry_search")},
    **{f"verification:case_{a}": _clinic_case(names_object=True) for a in (
        "link_citizen", "use_existing_dose", "correct_dose")},
    "verification:case_action": Route({CLINIC}, "POST", "case_action", found=False),
    "verification:import_upload": Route({CLINIC}), "verification:import_template_csv": Route({CLINIC}),
    "verification:import_template_xlsx": Route({CLINIC}),
    "verification:import_job": Route({CLINIC}, kind="job"),
    "verification:import_job_progress": Route({CLINIC}, kind="job"),
    "verification:import_error_report": Route({CLINIC}, kind="job"),
    "verification:import_job_resume": Route({CLINIC}, "POST", "job"),
    "verification:review_queue": Route({CLINIC}),
    "verification:review_detail": Route({CLINIC}, kind="review"),
    "verification:review_action": Route({CLINIC}, "POST", "review_action"),
    # The police.
    "verification:police_queue": Route({POLICE}), "verification:police_next": Route({POLICE}, "POST"),
    "verification:police_case": Route({POLICE}, kind="police_case"),
    "verification:police_release": Route({POLICE}, "POST", "police_case"),
    "verification:police_ask_registry": Route({POLICE}, "POST", "police_case"),
    "verification:police_bulk": Route({POLICE}),
    "verification:police_report": Route({POLICE, *REPORTERS}),
    "verification:police_report_csv": Route({POLICE, *REPORTERS}),
    # Signing.
    "signing:batch": Route({SIGNER, PROVINCE}), "signing:certificates": Route({SIGNER, PROVINCE}),
    "signing:batch_detail": Route({SIGNER, PROVINCE}, kind="batch"),
    "signing:batch_progress": Route({SIGNER, PROVINCE}, kind="batch"),
    "signing:batch_resume": Route({SIGNER, PROVINCE}, "POST", "batch"),
    "signing:check": Route(CHECKERS, kind="record"),
    "signing:signed": Route(CHECKERS),
    "signing:signature_cms": Route(CHECKERS, kind="signature"),
    "signing:signature_payload": Route(CHECKERS, kind="signature"),
    # Reports.
    "reports:dashboard": Route(REPORTERS), "reports:unit": Route(REPORTERS, kind="unit"),
    "reports:unit_cases": Route(REPORTERS, kind="unit_cases"),
    "reports:unit_json": Route(REPORTERS, kind="unit"),
    "reports:daily": Route(REPORTERS), "reports:daily_print": Route(REPORTERS, kind="day"),
    "reports:submit": Route({PROVINCE}, "POST", "day"), "reports:reopen": Route({MINISTRY}, "POST", "day"),
    "reports:submission_payload": Route(REPORTERS, kind="submission"),
    "reports:submission_signature": Route(REPORTERS, kind="submission"),
    "reports:export": Route(REPORTERS), "reports:export_figures": Route(REPORTERS),
    "reports:export_police": Route({POLICE, *REPORTERS}),  # the police report, in the ward's scope
    # The API (api/): the key page of a facility's staff, the schema and its docs, the resources.
    # Keys of a facility (its staff), a province (its officer) or the Ministry; a facility's key is
    # revoked by its own staff only.
    "api:keys": Route({CLINIC, *REPORTERS}), "api:key_revoke": Route({CLINIC, *REPORTERS}, "POST", "api_key"),
    "api:schema": Route(PUBLIC), "api:docs": Route(PUBLIC), "api:unknown": Route(PUBLIC),
    # Vaccination certificates: the signed trust list and revocation list are public.
    "certificates:trust_list": Route(PUBLIC), "certificates:revocations": Route(PUBLIC),
    "certificates:verify": Route(PUBLIC),
    # The citizen's own certificate: public pages, opened by a one-time code (a certificate not
    # granted to the session is a 404: tests/certificates/test_holder_pages.py).
    "certificates:mine": Route(PUBLIC), "certificates:mine_lookup": Route(PUBLIC),
    "certificates:mine_code": Route(PUBLIC, "POST"), "certificates:mine_case": Route(PUBLIC, kind="code"),
    "certificates:mine_png": Route(PUBLIC, kind="patient"),
    "certificates:mine_pdf": Route(PUBLIC, kind="patient"),
    # The central issuer (a province's officer) for a citizen of the province: page, issue, downloads
    # (a citizen without a current certificate has no PNG/PDF: 404 in scope too).
    "certificates:citizen": Route({PROVINCE}, kind="patient"),
    # Bulk issue of the officer's province (a Celery worker) and its polled progress.
    "certificates:bulk": Route({PROVINCE}), "certificates:bulk_progress": Route({PROVINCE}, kind="issue_run"),
    "certificates:issue": Route({PROVINCE}, "POST", "patient"),
    "certificates:png": Route({PROVINCE}, kind="patient", names_object=True),
    "certificates:pdf": Route({PROVINCE}, kind="patient", names_object=True),
    "api:me": Route({CLINIC, POLICE, SIGNER, PROVINCE, MINISTRY}, api=True),
    "api:citizens": Route({CLINIC, POLICE, *REPORTERS}, api=True),
    "api:injections": Route({CLINIC, *REPORTERS}, api=True),
    "api:injections_bulk": Route({CLINIC}, "POST", api=True),
    "api:injection": Route({CLINIC, *REPORTERS}, kind="record", api=True),
    "api:injection_signatures": Route(CHECKERS, kind="record", api=True),
    "api:cases": Route({CLINIC}, api=True), "api:case": Route({CLINIC}, kind="case", api=True),
    **{f"api:case_{a}": Route({CLINIC}, "POST", "case", api=True) for a in (
        "start_review", "link_citizen", "create_citizen", "correct_identity", "add_dose", "use_existing_dose",
        "correct_dose", "send_to_police", "reject", "request_info")},
    "api:imports": Route({CLINIC}, api=True), "api:import": Route({CLINIC}, kind="job", api=True),
    "api:import_errors": Route({CLINIC}, kind="job", api=True),
    "api:police_queue": Route({POLICE}, api=True), "api:police_next": Route({POLICE}, "POST", api=True),
    "api:police_bulk_confirm": Route({POLICE}, "POST", api=True),
    "api:police_case": Route({POLICE}, kind="police_case", api=True),
    "api:police_decision": Route({POLICE}, "POST", "police_case", api=True),
    "api:police_release": Route({POLICE}, "POST", "police_case", api=True),
    "api:report_unit": Route(REPORTERS, kind="unit", api=True),
    "api:report_unit_days": Route(REPORTERS, kind="unit", api=True),
    "api:report_export_figures": Route(REPORTERS, api=True),
    "api:report_export_police": Route({POLICE, *REPORTERS}, api=True),
    "api:fhir_patient": Route({CLINIC, *REPORTERS}, kind="patient", api=True),
    "api:fhir_everything": Route({CLINIC, *REPORTERS}, kind="patient", api=True),
    "api:fhir_immunizations": Route({CLINIC, *REPORTERS}, api=True),
}


def discovered_routes(resolver=None, prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    """(key, route) of every URL pattern, recursively: the key is the namespaced name, or the
    route text for an unnamed pattern."""
    out = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            ns = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            out += discovered_routes(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            out.append((name or route, route))
    return out


def rule_for(key: str, route: str) -> Route | None:
    return MATRIX.get(key) or (MATRIX["admin/"] if route.startswith("admin/") else None)


# --- Objects in the path -------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    label: str
    kwargs: dict
    visible: frozenset  # personas who may open it
    secret: str = ""  # text that must not reach anyone refused (a full CCCD)


def _case_variants(world: World, *, kind: str) -> list[Variant]:
    out = []
    for name, place in world.places.items():
        for state in STATES:
            case = place.cases[state]
            if kind == "police_case":
                visible = {"police"} if name in HOLDS["police"] and state in POLICE_STATES else set()
            else:
                visible = {"clinic"} if name == "A1" and state != "draft" else set()
            kwargs = {"pk": case.pk}
            if kind == "evidence":
                if state not in place.evidence:
                    continue
                kwargs["evidence_pk"] = place.evidence[state].pk
            if kind == "case_action":
                kwargs["action"] = "no_such_action"
            out.append(Variant(f"{name} {state}", kwargs, frozenset(visible), case.id_number))
    return out


def _scoped(world: World, kind: str, personas: set) -> list[Variant]:
    """Objects of each place visible to the personas whose scope holds that place."""
    out = []
    for name, place in world.places.items():
        holders = frozenset(p for p in personas if name in HOLDS[p])
        if kind in ("job", "review", "review_action"):
            obj = place.job if kind == "job" else place.review
            extra = {"action": "reject"} if kind == "review_action" else {}
            out.append(Variant(name, {"pk": obj.pk, **extra}, holders & {"clinic"}))
        elif kind == "record":
            for which, record in place.records.items():
                out.append(Variant(f"{name} {which}", {"pk": record.pk}, holders, record.citizen.cccd))
        elif kind == "signature":
            out.append(Variant(name, {"pk": place.signature.pk}, holders))
        elif kind == "patient":  # the person of each record, vaccinated at the place's facility
            for which, record in place.records.items():
                out.append(Variant(f"{name} {which}", {"pk": record.citizen_id}, holders,
                                   record.citizen.cccd))
        elif kind == "api_key":
            out.append(Variant(name, {"pk": place.api_key.pk}, holders & {"clinic"}))
        elif kind == "batch":
            out.append(Variant(name, {"pk": place.batch.pk}, frozenset({"signer"} if name == "A1" else ())))
        elif kind == "unit":
            for level, code in ((1, place.ward.province_id), (2, place.ward.code), (3, place.facility.pk)):
                out.append(Variant(f"{name} level {level}", {"level": level, "code": code},
                                   holders & {"province", "ministry"}))
    return out


def variants(world: World, route: Route) -> list[Variant]:
    everyone = frozenset(PERSONAS)
    if route.kind in ("case", "evidence", "case_action", "police_case"):
        return _case_variants(world, kind=route.kind)
    if route.kind == "code":
        return [Variant(f"{name} {state}", {"code": case.tracking_code}, everyone, case.id_number)
                for name, place in world.places.items() for state, case in place.cases.items()]
    if route.kind == "day":
        return [Variant("a day", {"day": "2021-09-01"}, everyone)]
    if route.kind == "submission":
        return [Variant("province A", {"pk": world.submissions[1].pk}, frozenset({"province", "ministry"})),
                Variant("province B", {"pk": world.submissions[HCM_PROVINCE].pk}, frozenset({"ministry"}))]
    if route.kind == "issue_run":
        return [Variant("province A", {"pk": world.issue_runs[1].pk}, frozenset({"province"})),
                Variant("province B", {"pk": world.issue_runs[HCM_PROVINCE].pk}, frozenset())]
    if route.kind == "unit":
        return [*_scoped(world, "unit", set(PERSONAS)), Variant("nation", {"level": 0, "code": 0},
                                                                frozenset({"ministry"}))]
    if route.kind == "unit_cases":  # a commune's or a facility's cases: no list for a province
        nation = Variant("nation", {"level": 0, "code": 0}, frozenset())
        units = [*_scoped(world, "unit", set(PERSONAS)), nation]
        return [v if v.kwargs["level"] in (2, 3) else Variant(v.label, v.kwargs, frozenset()) for v in units]
    if route.kind:
        return _scoped(world, route.kind, set(PERSONAS))
    return [Variant("", {}, everyone)]


def _admin_url(key: str, route: str, world: World) -> str:
    """An admin URL with real object ids where the route names a model."""
    pk = world.users["clinic"].pk
    match = re.match(r"admin:(\w+?)_(\w+?)_(change|delete|history|password_change)$", key)
    if match:
        try:
            obj = apps.get_model(match[1], match[2]).objects.first()
        except LookupError:
            obj = None
        pk = obj.pk if obj else pk
    url = re.sub(r"<(?:\w+:)?\w+>", str(pk), route)
    url = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$", "records/", url)
    return "/" + url.replace("(?P<url>.*)$", "nowhere/")


# --- Asking and judging ------------------------------------------------------------------

def expected(rule: Route, persona: str, variant: Variant) -> str:
    if rule.who == PUBLIC:
        return "public"
    if rule.who == ADMIN:
        return "allow-admin" if persona == "superuser" else "admin-login"
    if persona == "anonymous":
        return "api-login" if rule.api else "login"
    if rule.who != LOGGED_IN and PERSONA_ROLE[persona] not in rule.who:
        return "forbidden"
    if persona not in variant.visible:
        return "deny"
    if not rule.found:
        return "deny"
    return "allow-or-none-named" if rule.names_object else "allow"


def judge(outcome: str, response) -> str | None:
    """None when the answer fits the expectation, else what went wrong ("leak: ..." for a refusal
    not given)."""
    code, where = response.status_code, response.get("Location", "")
    if outcome == "login":
        ok = code == 302 and where.startswith("/login/")
    elif outcome == "api-login":
        ok = code in {401, 403}
    elif outcome == "admin-login":
        ok = code == 302 and where.startswith("/admin/login/")
    elif outcome in ("forbidden", "deny"):
        ok = code in DENY
    elif outcome == "allow-or-none-named":
        ok = code in ALLOW | {404}
    elif outcome == "allow-admin":  # the admin's own refusals (a read-only model's add page) stay
        ok = code in {200, 302, 403, 404}
    elif outcome == "public":
        ok = code in ALLOW | {404, 405}
    else:
        ok = code in ALLOW
    if ok:
        return None
    refused = outcome in ("login", "api-login", "admin-login", "forbidden", "deny")
    return f"{'leak' if refused and code in ALLOW else 'wrong'}: {code} {where} (expected {outcome})"


def send(client: Client, method: str, url: str, *, api: bool = False):
    """One request in a transaction rolled back after it (the objects stay as built); the
    cache (rate limits, figures) emptied first; a persona logged out by it logged in again. An
    API POST carries a fresh Idempotency-Key (without one every caller gets the same 400)."""
    cache.clear()
    headers = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex} if api else {}
    with transaction.atomic():
        response = client.post(url, **headers) if method == "POST" else client.get(url)
        transaction.set_rollback(True)
    if client.persona is not None and not client.session.session_key:
        client.force_login(client.persona)
    return response


def _body(response) -> str:
    return "" if response.streaming else response.content.decode(errors="replace")


def check_route(client: Client, world: World, persona: str, key: str, route: str) -> tuple[int, list[str]]:
    """Open one route for one persona over every variant; (requests made, problems found)."""
    rule = rule_for(key, route)
    if rule.who == ADMIN:
        found = judge(expected(rule, persona, Variant("", {}, frozenset())),
                      send(client, rule.method, _admin_url(key, route, world)))
        return 1, [f"{persona} {key}: {found}"] if found else []
    problems, count = [], 0
    for variant in variants(world, rule):
        outcome = expected(rule, persona, variant)
        response = send(client, rule.method, reverse(key, kwargs=variant.kwargs), api=rule.api)
        count += 1
        found = judge(outcome, response)
        refused = not outcome.startswith("allow")
        if found is None and variant.secret and refused and variant.secret in _body(response):
            found = f"leak: the full CCCD on a {response.status_code} page (expected {outcome})"
        if found:
            problems.append(f"{persona} {key} [{variant.label}]: {found}")
    return count, problems


# --- The tests -----------------------------------------------------------------------------

def test_every_route_is_in_the_access_matrix():
    missing = [key for key, route in discovered_routes() if rule_for(key, route) is None]
    assert not missing, "\n".join(f"new route {key} not in the access matrix" for key in missing)


def test_the_matrix_names_only_routes_that_exist():
    keys = {key for key, _route in discovered_routes()}
    assert not [k for k in MATRIX if k != "admin/" and k not in keys]


@pytest.fixture
def world(reference_data, settings, tmp_path) -> World:
    settings.SIGNING_REQUIRE_REVOCATION_INFO = False
    settings.MEDIA_ROOT = tmp_path
    return build_world()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_matrix_says_on_every_route(persona, world, client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.persona = world.users[persona]
    if client.persona is not None:
        client.force_login(client.persona)
    total, problems = 0, []
    for key, route in discovered_routes():
        count, found = check_route(client, world, persona, key, route)
        total += count
        problems += found
    leaks = [p for p in problems if ": leak" in p]
    print(f"\naccess matrix, {persona}: {total} route x object x state requests, {len(leaks)} leaks, "
          f"{len(problems) - len(leaks)} other mismatches")
    assert not problems, "\n".join(problems)
