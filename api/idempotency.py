"""``Idempotency-Key`` on every POST: a retry gets the first response and writes nothing twice.

The (caller, key) row is inserted in the same transaction as the request's writes, before them.
A second copy arriving while the first runs blocks on the row's unique index (PostgreSQL; SQLite
serialises writers anyway) until the first commits, then replays the stored response; if the
first failed, nothing of it stayed and the copy runs itself. Only successful responses are kept:
a refused request wrote nothing, so sending it again is safe. A key used before with another
method, path or body is refused (422)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from api.errors import IdempotencyKeyMissing, IdempotencyKeyReused
from api.models import ApiKey, IdempotentRequest

HEADER = "Idempotency-Key"
# 1 to 255 visible ASCII characters, spaces inside only (the schema documents the same pattern).
KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"
REPLAYED = "Idempotent-Replayed"
KEPT_HEADERS = ("Location", "ETag")


def _owner(request) -> str:
    return f"key:{request.auth.pk}" if isinstance(request.auth, ApiKey) else f"user:{request.user.pk}"


def _value_digest(value) -> str:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return "file:" + digest.hexdigest()
    return str(value)


def fingerprint(request) -> str:
    """SHA-256 of the method, path, query and body as parsed (a multipart file by its content,
    so a client's new boundary on retry is the same request)."""
    data = request.data
    if hasattr(data, "getlist"):
        body = [[name, [_value_digest(v) for v in data.getlist(name)]] for name in sorted(data.keys())]
    else:
        body = data
    text = json.dumps([request.method, request.path, request.META.get("QUERY_STRING", ""), body],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(stored: IdempotentRequest, print_: str) -> HttpResponse:
    if stored.fingerprint != print_:
        raise IdempotencyKeyReused(_("This Idempotency-Key was already used for another request."),
                                   field=HEADER)
    response = HttpResponse(bytes(stored.body), status=stored.status_code, content_type=stored.content_type)
    for name, value in stored.headers.items():
        response[name] = value
    response[REPLAYED] = "true"
    return response


def _claim(owner: str, key: str, print_: str) -> int | None:
    """Insert the (caller, key) row, or wait for a concurrent one's transaction and find it there:
    the new row's id, or None when the key was used before. One statement (``ON CONFLICT DO
    NOTHING`` waits on the unique index as a plain INSERT does), not an INSERT in a savepoint."""
    table = connection.ops.quote_name(IdempotentRequest._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in
                        ("owner", "key", "fingerprint", "content_type", "body", "headers", "created_at"))
    with connection.cursor() as cursor:
        # the table and column names are the model's own; every value a parameter
        statement = (f"INSERT INTO {table} ({columns}) "  # noqa: S608 # nosec B608 # model's names
                     "VALUES (%s, %s, %s, '', %s, '{}', %s) ON CONFLICT DO NOTHING RETURNING id")
        cursor.execute(
            statement,
            [owner, key, print_, b"", connection.ops.adapt_datetimefield_value(timezone.now())])
        row = cursor.fetchone()
    return row[0] if row else None


def _keep(claim: int, response: HttpResponse) -> None:
    """Store the first response on its claimed row: the values the model's fields would write
    (BinaryField, JSONField), in a statement written once rather than compiled per request."""
    table = connection.ops.quote_name(IdempotentRequest._meta.db_table)
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    # the table name is the model's own; every value a parameter
    statement = (f"UPDATE {table} SET status_code = %s, body = %s, "  # noqa: S608 # nosec B608 # model's name
                 "content_type = %s, headers = %s WHERE id = %s")
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            [response.status_code, IdempotentRequest._meta.get_field("body").get_db_prep_value(
                response.content, connection), response.get("Content-Type", ""),
             IdempotentRequest._meta.get_field("headers").get_db_prep_value(headers, connection), claim])


def idempotent(view, request, run: Callable[[], HttpResponse]) -> HttpResponse:
    """Run `run` (the POST's work, returning a DRF Response) once per (caller, Idempotency-Key)."""
    key = request.headers.get(HEADER, "")
    if len(key) > 255 or not re.match(KEY_PATTERN, key):
        raise IdempotencyKeyMissing(_("Send an Idempotency-Key header (1 to 255 characters) with every "
                                      "POST, the same one when you retry."), field=HEADER)
    owner, print_ = _owner(request), fingerprint(request)
    with transaction.atomic():
        claim = _claim(owner, key, print_)
        if claim is not None:  # the first request with the key: run it, keep its answer
            response = view.finalize_response(request, run())
            response.render()
            _keep(claim, response)
            return response
    # An earlier request with the key committed: answer as it was answered.
    return _replay(IdempotentRequest.objects.get(owner=owner, key=key), print_)
