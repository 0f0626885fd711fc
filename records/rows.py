"""New rows written set-wise without a model instance's save machinery: one ``INSERT ... SELECT
FROM UNNEST`` per table on PostgreSQL (the statement Django's own bulk_create sends there), its
values given column by column. Django prepares every value of every object through each field
(pre_save, get_db_prep_save, the related-object checks): for a bulk request's thousand records
and thousand audit rows most of their writing time. Values here are taken as the database takes
them: a JSON column's value is encoded with its field's encoder, a value of another type than the
plain ones goes through its field as Django would send it. Elsewhere (SQLite) bulk_create.
(records.bulk is another thing: the demo data generator's COPY.)"""

from __future__ import annotations

import datetime
import decimal
import json

from django.db import connection, models

PLAIN = (str, int, float, bool, datetime.date, decimal.Decimal)  # datetime.datetime is a date


def _column(field: models.Field, values: list) -> list:
    if isinstance(field, models.JSONField):
        return [None if v is None else json.dumps(v, cls=field.encoder) for v in values]
    if isinstance(field, models.DateTimeField):  # aware datetimes as they are; any other through the field
        return [v if isinstance(v, datetime.datetime) and v.tzinfo is not None
                else field.get_db_prep_save(v, connection) for v in values]
    return [v if v is None or isinstance(v, PLAIN) else field.get_db_prep_save(v, connection) for v in values]


def insert_columns(model: type[models.Model], columns: dict[str, list], *, returning: bool = True) -> list:
    """Insert len(any column) rows of `model` (columns by attname, every column of the same length)
    in one statement; the new primary keys in the rows' order when `returning`. PostgreSQL only."""
    opts = model._meta
    fields = [opts.get_field(name) for name in columns]
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in fields)
    tail = f" RETURNING {quote(opts.pk.column)}" if returning else ""
    # the table and column names and types are the model's own; every value is a parameter
    sql = (f"INSERT INTO {quote(opts.db_table)} ({names}) "  # nosec B608 # the model's names
           f"SELECT * FROM UNNEST({arrays}){tail}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [_column(f, columns[f.attname]) for f in fields])
        return [row[0] for row in cursor.fetchall()] if returning else []


def insert_objects(objs: list[models.Model]) -> list[models.Model]:
    """bulk_create of new objects of one model (no primary key yet, related objects saved before
    they were assigned), each given its key; on PostgreSQL by `insert_columns`, every concrete
    field but the key as Django would write it."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    ids = insert_columns(model, {f.attname: [getattr(o, f.attname) for o in objs] for f in fields})
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    return objs


def unsaved(model: type[models.Model], /, **values) -> models.Model:
    """A new, unsaved instance of `model`: these values by attname (``citizen_id``, not ``citizen``),
    every other concrete field its default, as ``model(**values)`` makes it. Built as the ORM builds
    the rows it reads, one positional value per concrete field, without the per-field keyword
    handling of ``Model.__init__`` (half of its time: a bulk request builds a thousand records)."""
    fields, attnames = _concrete(model)
    if not attnames.issuperset(values):
        raise TypeError(f"{model.__name__} has no concrete fields {sorted(set(values) - attnames)}")
    return model(*[values[f.attname] if f.attname in values else f.get_default() for f in fields])


_CONCRETE: dict[type, tuple[tuple[models.Field, ...], frozenset[str]]] = {}


def _concrete(model: type[models.Model]) -> tuple[tuple[models.Field, ...], frozenset[str]]:
    if model not in _CONCRETE:
        fields = tuple(model._meta.concrete_fields)
        _CONCRETE[model] = fields, frozenset(f.attname for f in fields)
    return _CONCRETE[model]
