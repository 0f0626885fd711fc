"""Where revocation lists may be read from: http(s) URLs and files inside SIGNING_CRL_DIR only.

Each hostile source below carries a perfectly valid CRL of a registered CA, so a refusal is the
source rule at work, not a parse failure: it is refused with a clear message, and no list, no
audit event is stored — through the service, the `pki_import_crl` command and a refresh of a
source edited in the database.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from records.models import AuditEvent
from signing import pki, services, trust
from signing.models import RevocationList
from vaxrecon.errors import InvalidInput

PEM = pki.serialization.Encoding.PEM
OUTSIDE_FOLDER = "outside the revocation list folder"
NOT_HTTP = "read only from http(s) addresses or from files in the revocation list folder"


@pytest.fixture
def fresh_crl(trust_store, issuing_ca, now) -> bytes:
    """A newer list of the issuing CA than the one held, revoking one serial."""
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    crl = pki.create_crl(issuing_ca, [(4242, later, None)], this_update=later)
    return crl.public_bytes(PEM)


@pytest.fixture
def folders(settings, tmp_path, fresh_crl):
    """(the CRL folder, a folder beside it); each holds a copy of the fresh list."""
    inside, outside = tmp_path / "crl", tmp_path / "outside"
    for folder in (inside, outside):
        folder.mkdir()
        (folder / "issuing.crl").write_bytes(fresh_crl)
    settings.SIGNING_CRL_DIR = inside
    return inside, outside


def _held() -> list[tuple]:
    return sorted(RevocationList.objects.values_list("issuer_id", "this_update", "revoked_count", "source"))


def _assert_refused(source: str, expected: str) -> None:
    before, events = _held(), AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as excinfo:
        services.crl_import(data=trust.read_crl_source(source), source=source)
    assert expected in excinfo.value.message
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("pki_import_crl", source, stdout=StringIO(), stderr=err)
    assert expected in err.getvalue()
    assert _held() == before and AuditEvent.objects.count() == events  # nothing stored


class _Server(BaseHTTPRequestHandler):
    """Serves the fresh CRL at /issuing.crl; /to-ftp and /to-file redirect out of http(s)."""

    body = b""
    targets = {"/to-ftp": "ftp://127.0.0.1/issuing.crl", "/to-file": "file:///etc/passwd",
               "/to-data": "data:text/plain;base64,aGk="}

    def do_GET(self):  # noqa: N802 - the http.server hook's name
        if self.path in self.targets:
            self.send_response(302)
            self.send_header("Location", self.targets[self.path])
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def crl_server(fresh_crl):
    handler = type("Handler", (_Server,), {"body": fresh_crl})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_operator_imports_a_list_from_a_file_in_the_folder_by_name_or_full_path(folders):
    inside, _outside = folders
    for source in ("issuing.crl", str(inside / "issuing.crl"), (inside / "issuing.crl").as_uri()):
        stored = services.crl_import(data=trust.read_crl_source(source), source=source)
        assert stored.revoked_count == 1


def test_an_operator_imports_a_list_from_an_http_address(folders, crl_server):
    out = StringIO()
    call_command("pki_import_crl", crl_server + "/issuing.crl", stdout=out)
    assert "1 revoked" in out.getvalue()
    assert RevocationList.objects.filter(source=crl_server + "/issuing.crl", revoked_count=1).exists()


def test_a_file_url_elsewhere_is_refused(folders):
    _inside, outside = folders
    _assert_refused((outside / "issuing.crl").as_uri(), OUTSIDE_FOLDER)
    _assert_refused("file:///etc/passwd", OUTSIDE_FOLDER)


def test_a_plain_path_elsewhere_is_refused(folders):
    _inside, outside = folders
    _assert_refused(str(outside / "issuing.crl"), OUTSIDE_FOLDER)
    _assert_refused("/dev/zero", OUTSIDE_FOLDER)


def test_dot_dot_out_of_the_folder_is_refused(folders):
    inside, _outside = folders
    _assert_refused("../outside/issuing.crl", OUTSIDE_FOLDER)
    _assert_refused(f"{inside}/../outside/issuing.crl", OUTSIDE_FOLDER)
    _assert_refused(f"file://{inside}/../outside/issuing.crl", OUTSIDE_FOLDER)


def test_a_symlink_in_the_folder_pointing_out_of_it_is_refused(folders):
    inside, outside = folders
    (inside / "link.crl").symlink_to(outside / "issuing.crl")
    (inside / "sub").symlink_to(outside, target_is_directory=True)
    _assert_refused("link.crl", OUTSIDE_FOLDER)
    _assert_refused("sub/issuing.crl", OUTSIDE_FOLDER)


def test_other_schemes_are_refused(folders, fresh_crl):
    encoded = base64.b64encode(fresh_crl).decode()
    for source in ("ftp://127.0.0.1/issuing.crl", f"data:application/pkix-crl;base64,{encoded}",
                   "gopher://127.0.0.1/", "file://evil.example/etc/passwd"):
        _assert_refused(source, NOT_HTTP)


def test_an_http_address_redirecting_out_of_http_is_refused(folders, crl_server):
    for path in ("/to-ftp", "/to-file", "/to-data"):
        _assert_refused(crl_server + path, "redirects to an address that is not http(s)")


def test_a_list_too_large_is_refused_before_it_is_read_whole(folders, monkeypatch):
    monkeypatch.setattr(trust, "CRL_MAX_BYTES", 100)
    _assert_refused("issuing.crl", "larger than")


def test_a_refresh_refuses_a_source_edited_to_point_out_of_the_folder(folders):
    """An attacker with SQL access rewrites a recorded source; the refresh reads nothing."""
    _inside, outside = folders
    RevocationList.objects.update(source=str(outside / "issuing.crl"))
    before, events = _held(), AuditEvent.objects.count()
    results = services.crl_refresh()
    assert results and all(OUTSIDE_FOLDER in outcome for _crl, outcome in results)
    assert _held() == before and AuditEvent.objects.count() == events


def test_importing_the_list_already_held_again_writes_nothing(folders):
    services.crl_import(data=trust.read_crl_source("issuing.crl"), source="issuing.crl")
    before, events = _held(), AuditEvent.objects.count()
    call_command("pki_import_crl", "issuing.crl", stdout=StringIO())
    assert [outcome for _crl, outcome in services.crl_refresh()].count("ok") == 1
    assert _held() == before and AuditEvent.objects.count() == events
