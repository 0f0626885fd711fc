"""Evidence files from citizens: photos or scans of the paper vaccination slip."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _

from records.audit import record_event
from vaxrecon.errors import InvalidInput
from verification.models import Evidence, ReconciliationCase

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_EVIDENCE_FILES = 5
# Signatures at the start of the file; the name and the browser's content type are not trusted.
MAGIC = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
]


def evidence_check(files) -> list[tuple[object, str]]:
    """Check uploaded files (type from the content, size, count) before anything is stored.
    Returns [(file, content_type)]; raises InvalidInput (field "evidence") naming the file."""
    files = list(files or [])
    if len(files) > MAX_EVIDENCE_FILES:
        raise InvalidInput(_("Attach at most %(n)s files.") % {"n": MAX_EVIDENCE_FILES}, field="evidence")
    checked = []
    for upload in files:
        if upload.size > MAX_EVIDENCE_BYTES:
            raise InvalidInput(_("“%(name)s” is larger than 5 MB. Take a smaller photo or scan.")
                               % {"name": upload.name}, field="evidence")
        if upload.size == 0:
            raise InvalidInput(_("“%(name)s” is empty.") % {"name": upload.name}, field="evidence")
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        content_type = next((kind for magic, kind in MAGIC if head.startswith(magic)), None)
        if content_type is None:
            raise InvalidInput(_("“%(name)s” is not a JPEG, PNG or PDF file.") % {"name": upload.name},
                               field="evidence")
        checked.append((upload, content_type))
    return checked


def evidence_attach(*, case: ReconciliationCase, files, actor=None) -> list[Evidence]:
    """Check then store files on a case; all or nothing (a file written before a failure
    is removed again). Returns the stored rows."""
    checked = evidence_check(files)
    stored: list[Evidence] = []
    try:
        for upload, content_type in checked:
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            row = Evidence(case=case, content_type=content_type, size=upload.size, sha256=digest.hexdigest(),
                           original_name=(upload.name or "")[:200])
            row.file.save("evidence", upload, save=False)
            row.save()
            stored.append(row)
    except Exception:
        for row in stored:
            row.file.delete(save=False)
        raise
    for row in stored:
        record_event(actor=actor,
                     actor_label=None if getattr(actor, "is_authenticated", False) else "citizen",
                     action="evidence.attach", obj=row,
                     after={"case": case.pk, "content_type": row.content_type, "size": row.size,
                            "sha256": row.sha256})
    return stored
