"""Optimistic concurrency: an ETag on GET, If-Match required on PATCH (and honoured when sent
with a case's workflow action), 412 for a stale write.

The ETag is a digest of the representation the client read, so any change it could see changes
it (a correction, a signature, a status)."""

from __future__ import annotations

import hashlib
import json

from django.utils.translation import gettext as _

from api.errors import PreconditionFailed, PreconditionRequired

IF_MATCH = "If-Match"


def etag_of(data) -> str:
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def check_if_match(request, current: str) -> None:
    """Refuse the write unless If-Match names the current ETag (or is ``*``)."""
    header = request.headers.get(IF_MATCH, "").strip()
    if not header:
        raise PreconditionRequired(_("Send If-Match with the ETag of the version you are correcting."),
                                   field="If-Match")
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in tags and current not in tags:
        raise PreconditionFailed(_("The record changed since you read it: read it again and resend "
                                   "the correction with its new ETag."), field="If-Match")
