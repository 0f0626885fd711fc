"""A stand-in for the national population database (Cơ sở dữ liệu quốc gia về dân cư).

Another ministry's system, reached over the network: this module is deliberately plain
standard library (no Django, no project imports) so it runs as its own process:

    python manage.py run_population_registry --port 8077 --data registry.csv
    python -m verification.police.registry_server --port 8077 --data registry.csv

Its data is a CSV with the columns of the linkage sample
(citizen_id, legacy_id, full_name, date_of_birth, sex, province_code, ward_code, phone).

API (JSON over HTTP):

    POST /v1/identities/verify      header X-API-Key: <key>
    {"items": [{"ref": "...", "full_name": "...", "date_of_birth": "1990-05-17" | null,
                "birth_year": 1990, "sex": "M" | "F", "id_number": "001090000001"}, ...]}   (≤ 500)
    -> 200 {"batch_id": "...", "results": [
            {"ref": "...", "outcome": "match"},
            {"ref": "...", "outcome": "mismatch", "differing_fields": ["full_name"],
             "registry_values": {"full_name": "Nguyễn Văn Hùng"}},
            {"ref": "...", "outcome": "not_found"}]}
    401 without a valid key, 400 for a malformed body, 413 above 500 items,
    503 on an injected failure.
    GET /healthz -> 200 {"status": "ok", "records": N}

Comparison is that of an officer reading the CCCD card: the name must be exactly the
registry's (diacritics and case included; only Unicode form and spacing are tidied), the
full date of birth, the sex, and the ID number (the 12-digit CCCD or the old 9-digit CMND).
A person is found by ID number, or else by (accent-free name, date of birth) when that
names exactly one person — then the answer is a mismatch carrying the registry's ID.
"""

from __future__ import annotations

import argparse
import csv
import hmac
import json
import os
import random
import re
import sys
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

MAX_BATCH = 500
FIELDS = ("full_name", "date_of_birth", "sex", "id_number")
_SPACES = re.compile(r"\s+")


def tidy_name(value: str) -> str:
    """NFC and single spaces: how the same name typed twice is compared, nothing more."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value or "")).strip()


def fold(value: str) -> str:
    """Accent- and case-free key for the fallback search (đ -> d)."""
    text = unicodedata.normalize("NFD", tidy_name(value).replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").casefold()


@dataclass(frozen=True)
class Person:
    citizen_id: str
    legacy_id: str
    full_name: str
    date_of_birth: str  # ISO
    sex: str


@dataclass
class Registry:
    """The people, indexed by CCCD, by CMND and by (folded name, date of birth)."""

    by_id: dict[str, Person] = field(default_factory=dict)
    by_name_dob: dict[tuple[str, str], list[Person]] = field(default_factory=dict)
    count: int = 0

    @classmethod
    def from_csv(cls, path: str) -> Registry:
        registry = cls()
        with open(path, newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                registry.add(Person(
                    citizen_id=(row.get("citizen_id") or "").strip(),
                    legacy_id=(row.get("legacy_id") or "").strip(),
                    full_name=tidy_name(row.get("full_name") or ""),
                    date_of_birth=(row.get("date_of_birth") or "").strip(),
                    sex=(row.get("sex") or "").strip().upper(),
                ))
        return registry

    def add(self, person: Person) -> None:
        for key in (person.citizen_id, person.legacy_id):
            if key:
                self.by_id[key] = person
        self.by_name_dob.setdefault((fold(person.full_name), person.date_of_birth), []).append(person)
        self.count += 1

    def find(self, item: dict) -> Person | None:
        id_number = re.sub(r"\D", "", str(item.get("id_number") or ""))
        if id_number and id_number in self.by_id:
            return self.by_id[id_number]
        key = (fold(item.get("full_name") or ""), item.get("date_of_birth") or "")
        candidates = self.by_name_dob.get(key, [])
        return candidates[0] if len(candidates) == 1 else None

    def verify(self, item: dict) -> dict:
        """One identity -> {"ref", "outcome", ["differing_fields", "registry_values"]}."""
        ref = item.get("ref")
        person = self.find(item)
        if person is None:
            return {"ref": ref, "outcome": "not_found"}
        claimed_id = re.sub(r"\D", "", str(item.get("id_number") or ""))
        differing = {}
        if tidy_name(item.get("full_name") or "") != person.full_name:
            differing["full_name"] = person.full_name
        if (item.get("date_of_birth") or "") != person.date_of_birth:
            differing["date_of_birth"] = person.date_of_birth
        if str(item.get("sex") or "").upper() != person.sex:
            differing["sex"] = person.sex
        if claimed_id not in {person.citizen_id, person.legacy_id} - {""}:
            differing["id_number"] = person.citizen_id or person.legacy_id
        if not differing:
            return {"ref": ref, "outcome": "match"}
        return {"ref": ref, "outcome": "mismatch", "differing_fields": [f for f in FIELDS if f in differing],
                "registry_values": differing}


@dataclass
class Config:
    api_key: str
    latency: float = 0.0  # seconds added to every answer
    failure_rate: float = 0.0  # share of requests answered 503


def make_app(registry: Registry, config: Config):
    """The WSGI application. `config` may be changed while serving (fault tests)."""

    def respond(start_response, status: str, body: dict):
        data = json.dumps(body, ensure_ascii=False).encode()
        start_response(status, [("Content-Type", "application/json; charset=utf-8"),
                                ("Content-Length", str(len(data)))])
        return [data]

    def app(environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method == "GET":
            return respond(start_response, "200 OK", {"status": "ok", "records": registry.count})
        if path != "/v1/identities/verify":
            return respond(start_response, "404 Not Found", {"error": "not_found"})
        if method != "POST":
            return respond(start_response, "405 Method Not Allowed", {"error": "method_not_allowed"})
        key = environ.get("HTTP_X_API_KEY", "")
        if not config.api_key or not hmac.compare_digest(key.encode(), config.api_key.encode()):
            return respond(start_response, "401 Unauthorized", {"error": "unauthorized"})
        if config.latency:
            time.sleep(config.latency)
        if config.failure_rate and random.random() < config.failure_rate:
            return respond(start_response, "503 Service Unavailable", {"error": "unavailable"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
            items = payload["items"]
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return respond(start_response, "400 Bad Request", {"error": "bad_request"})
        if len(items) > MAX_BATCH:
            return respond(start_response, "413 Payload Too Large",
                           {"error": "too_many_items", "max": MAX_BATCH})
        return respond(start_response, "200 OK", {"batch_id": uuid.uuid4().hex,
                                                  "results": [registry.verify(i) for i in items]})

    return app


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


def serve(*, data: str, api_key: str, host: str = "127.0.0.1", port: int = 8077, latency: float = 0.0,
          failure_rate: float = 0.0, quiet: bool = True):
    """A started-but-not-serving server (call serve_forever); port 0 picks a free port.
    The returned server carries `.config` (mutable) and `.registry`."""
    registry = Registry.from_csv(data)
    config = Config(api_key=api_key, latency=latency, failure_rate=failure_rate)
    server = make_server(host, port, make_app(registry, config), server_class=ThreadingWSGIServer,
                         handler_class=QuietHandler if quiet else WSGIRequestHandler)
    server.config, server.registry = config, registry
    return server


def serve_in_thread(**kwargs):
    """For tests: a server running in a daemon thread; stop with server.shutdown()."""
    server = serve(**kwargs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8077, help="0 picks a free port")
    parser.add_argument("--data", required=True, help="CSV with the registry's columns")
    parser.add_argument("--api-key", default=None, help="default: $POPULATION_REGISTRY_API_KEY")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--failure-rate", type=float, default=0.0, help="0..1: share of 503 answers")


def run(options, out=sys.stdout) -> None:
    api_key = options.api_key or os.environ.get("POPULATION_REGISTRY_API_KEY", "dev-registry-key")
    server = serve(data=options.data, api_key=api_key, host=options.host, port=options.port,
                   latency=options.latency, failure_rate=options.failure_rate, quiet=False)
    host, port = server.server_address[:2]
    print(f"Population registry stand-in: {server.registry.count} people, "
          f"listening on http://{host}:{port}", file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    run(parser.parse_args())
