"""Writing many rows at once: COPY on PostgreSQL, bulk_create elsewhere.

Batch signing writes three rows per record (signature, status, audit event); at tens of
thousands of records a second the ORM's INSERT building costs more than the signing, so
PostgreSQL gets COPY (text format) and SQLite the ordinary ``bulk_create``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\\\x" + bytes(value).hex()  # bytea hex form; the backslash is escaped for COPY
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, column = attname) into ``model``'s table.

    No model instances, no signals, no ``save()``: the caller has validated the data.
    Returns the number of rows written.
    """
    rows = list(rows)
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        buf = io.StringIO()
        for row in rows:
            buf.write("\t".join(_copy_value(v) for v in row))
            buf.write("\n")
        buf.seek(0)
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT text)", buf)
    else:
        model.objects.bulk_create([model(**dict(zip(columns, row))) for row in rows], batch_size=500)
    return len(rows)
