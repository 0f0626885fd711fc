"""The one way services write the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import connection, models
from django.utils import timezone

from records.models import AuditEvent
from records.rows import insert_columns
from vaxrecon.middleware import current_request_id


def record_event(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one audit row (who, what, before/after, request id) and return it."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "system"),
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or ""),
        before=before,
        after=after,
        request_id=current_request_id(),
    )


def record_events(*, actor, action: str, objs: list[models.Model]) -> int:
    """One audit row per object (`after` its snapshot), as `record_event` writes it for each,
    in one INSERT: the bulk writers' trail, traced record by record like the single writer's.
    Returns how many were written. On PostgreSQL the rows go column by column (records.rows), with
    no AuditEvent instance each; the database links them into the chain as any other."""
    if not objs:
        return 0
    user = actor if getattr(actor, "is_authenticated", False) else None
    label, request_id = (user.get_username() if user else "system"), current_request_id()
    if connection.vendor != "postgresql":
        return len(AuditEvent.objects.bulk_create([
            AuditEvent(actor=user, actor_label=label, action=action, object_type=obj._meta.label_lower,
                       object_id=str(obj.pk), after=snapshot(obj), request_id=request_id)
            for obj in objs]))
    n = len(objs)
    insert_columns(AuditEvent, {
        "actor_id": [user.pk if user else None] * n, "actor_label": [label] * n, "action": [action] * n,
        "object_type": [obj._meta.label_lower for obj in objs], "object_id": [str(obj.pk) for obj in objs],
        "before": [None] * n, "after": [snapshot(obj) for obj in objs],
        "at": [timezone.now() for _ in objs], "request_id": [request_id] * n}, returning=False)
    return n


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """A JSON-able dict of a model's concrete fields (FKs by id) for before/after: each field's
    `value_from_object` (an attribute read, for every concrete field), by names read once per model
    (a bulk request snapshots a thousand records)."""
    names = _concrete_names(type(instance))
    if fields:
        return {attname: getattr(instance, attname) for name, attname in names if name in fields}
    return {attname: getattr(instance, attname) for _name, attname in names}


_NAMES: dict[type, tuple[tuple[str, str], ...]] = {}


def _concrete_names(model: type[models.Model]) -> tuple[tuple[str, str], ...]:
    """(name, attname) of the model's concrete fields, in their order."""
    if model not in _NAMES:
        _NAMES[model] = tuple((f.name, f.attname) for f in model._meta.concrete_fields)
    return _NAMES[model]
