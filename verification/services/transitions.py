"""Moving reconciliation cases through the workflow. The one place a case's status changes.

``case_transition`` moves one case: it locks the row, checks the guards, saves, and writes
the timeline and audit rows. A caller that must check something of its own on the locked
row first (the police: the claim, the answer row) locks with ``case_lock`` and then takes
one or more transitions with ``case_transition_locked``, so the row is locked once.
``cases_transition_bulk`` moves many cases set-wise (batch signing); it shares ``_Move``
(the changed fields, the writer, the rows and the citizen's SMS) with the one-case path,
and its PostgreSQL statement sits here beside the Python one it equals
(tests/verification/test_cases_transition_bulk.py).
"""

from __future__ import annotations

import io
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from records.audit import record_event, snapshot
from records.bulk import copy_text
from records.models import AuditEvent, InjectionRecord
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidTransition, NotAllowed, NotFoundInScope
from vaxrecon.middleware import current_request_id
from verification import workflow
from verification.models import REVIEW_DEADLINE, CaseEvent, ClaimedDose, ReconciliationCase, new_tracking_code
from verification.selectors import case_scope_q
from verification.services.outbox import outbox_enqueue_many

NOTIFY_CITIZEN = "verification.tasks.notify_citizen"
AUDITED_FIELDS = ["status", "citizen", "facility", "full_name", "date_of_birth", "birth_year", "sex",
                  "id_number", "phone", "ward", "reject_reason", "reject_note", "info_request",
                  "police_values", "claimed_by", "claim_expires_at", "closed_at"]
CASE_OBJECT_TYPE = ReconciliationCase._meta.label_lower


def actor_kind_of(actor) -> str:
    """The kind of actor for the transition table: a role, CITIZEN or SYSTEM."""
    if actor in (workflow.CITIZEN, workflow.SYSTEM):
        return actor
    return scope_for(actor).role


@dataclass(frozen=True)
class _Move:
    """What taking one transition as one actor writes: shared by the one-case and set-wise paths."""

    transition: workflow.Transition
    user: Any  # the acting user, or None for CITIZEN / SYSTEM
    label: str
    now: datetime

    @classmethod
    def of(cls, name: str, actor) -> tuple[_Move, str]:
        kind = actor_kind_of(actor)
        user = actor if getattr(actor, "is_authenticated", False) else None
        label = user.get_username() if user else kind
        return cls(workflow.TRANSITIONS[name], user, label, timezone.now()), kind

    @property
    def action(self) -> str:
        return f"case.{self.transition.name}"

    def changes(self) -> dict[str, Any]:
        """The fields every case taking the transition gets, besides the caller's updates."""
        target = self.transition.target
        changes: dict[str, Any] = {"status": target}
        if target in workflow.FINAL_STATES:
            changes["closed_at"] = self.now
        if target != workflow.CaseStatus.AWAITING_POLICE:
            changes.update(claimed_by=None, claim_expires_at=None)
        return changes

    def event(self, *, case_id: int, previous: str, message: str = "", data: dict | None = None) -> dict:
        """The timeline row's fields (CaseEvent)."""
        return {"case_id": case_id, "at": self.now, "actor": self.user, "actor_label": self.label,
                "transition": self.transition.name, "from_status": previous,
                "to_status": self.transition.target, "message": message, "data": data or {}}

    def notify(self, case_ids: Sequence[int]) -> None:
        """Text the reporting citizens, when the target state is news to them: the tasks go into
        the outbox in this transaction and out to the broker after commit (or once Redis is back)."""
        if self.transition.target not in workflow.NOTIFY_CITIZEN_ON or not case_ids:
            return
        state = self.transition.target
        # By name: the task's module (verification.tasks) sends through this one.
        outbox_enqueue_many(NOTIFY_CITIZEN, [(case_id, state) for case_id in case_ids])


def _check_actor(transition: workflow.Transition, kind: str) -> None:
    if kind not in transition.actors:
        raise NotAllowed(_("Your role cannot do this: %(action)s.") % {"action": transition.label})


def _check_source(transition: workflow.Transition, status: str) -> None:
    if status not in transition.sources:
        raise InvalidTransition(
            _("A case that is “%(state)s” cannot go to “%(target)s”.")
            % {"state": workflow.CaseStatus(status).label,
               "target": workflow.CaseStatus(transition.target).label}
        )


def case_lock(*, case: ReconciliationCase | int, actor) -> ReconciliationCase:
    """Lock a case for transitions in the caller's transaction and return it.

    For a user the case must be in their scope; outside it looks the same as absent.
    Raises NotFoundInScope.
    """
    pk = case.pk if isinstance(case, ReconciliationCase) else case
    qs = ReconciliationCase.objects.select_for_update()
    if actor not in (workflow.CITIZEN, workflow.SYSTEM):
        qs = qs.filter(case_scope_q(scope_for(actor)))
    locked = qs.filter(pk=pk).first()
    if locked is None:
        raise NotFoundInScope(_("No such case."))
    return locked


def case_transition(
    *,
    case: ReconciliationCase | int,
    name: str,
    actor,
    message: str = "",
    data: dict[str, Any] | None = None,
    updates: dict[str, Any] | None = None,
) -> ReconciliationCase:
    """Take transition `name` on a case, as `actor` (a user, or workflow.CITIZEN / SYSTEM).

    Locks the row, checks the transition is allowed from the current state for this kind
    of actor and (for users) that the case is in their scope, applies `updates`, saves,
    and writes a timeline event and an audit event. Returns the updated case.
    Raises NotFoundInScope, NotAllowed or InvalidTransition with a user-facing message.
    """
    with transaction.atomic():
        locked = case_lock(case=case, actor=actor)
        return case_transition_locked(case=locked, name=name, actor=actor, message=message, data=data,
                                      updates=updates)


def case_transition_locked(*, case: ReconciliationCase, name: str, actor, message: str = "",
                           data: dict[str, Any] | None = None,
                           updates: dict[str, Any] | None = None) -> ReconciliationCase:
    """``case_transition`` on a case the caller locked with ``case_lock`` in the current
    transaction (no second lock). Returns the case, updated and saved."""
    move, kind = _Move.of(name, actor)
    _check_actor(move.transition, kind)
    _check_source(move.transition, case.status)
    before, previous = snapshot(case, AUDITED_FIELDS), case.status
    for field, value in {**(updates or {}), **move.changes()}.items():
        setattr(case, field, value)
    case.save()
    CaseEvent.objects.create(**move.event(case_id=case.pk, previous=previous, message=message, data=data))
    record_event(actor=move.user, actor_label=move.label, action=move.action, obj=case, before=before,
                 after=snapshot(case, AUDITED_FIELDS))
    move.notify([case.pk] if case.phone and case.confirmed else [])
    return case


def case_event(*, case: ReconciliationCase, actor, action: str, message: str = "",
               data: dict[str, Any] | None = None, before: dict | None = None,
               after: dict | None = None) -> CaseEvent:
    """A timeline entry and an audit event for a change that does not move the state
    (a citizen linked, a dose added while the record is already updated, a joined report).
    Call inside the caller's transaction; returns the timeline event."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = user.get_username() if user else str(actor_kind_of(actor) if actor else workflow.SYSTEM)
    event = CaseEvent.objects.create(case=case, actor=user, actor_label=label, transition="",
                                     from_status=case.status, to_status=case.status, message=message,
                                     data={"action": action, **(data or {})})
    record_event(actor=user, actor_label=label, action=f"case.{action}", obj=case, before=before,
                 after=after if after is not None else snapshot(case, AUDITED_FIELDS))
    return event


# ------------------------------------------------------------------ many cases at once


def cases_transition_bulk(*, case_ids: Iterable[int], name: str, actor,
                          doses_all_in: Collection[str] | None = None, sql: bool | None = None) -> list[int]:
    """Take transition `name` on every case of `case_ids` that may take it, set-wise; returns
    the ids moved, in order.

    The same transition table entry, field changes, CaseEvent, ``case.<name>`` AuditEvent
    (the same before/after snapshots) and citizen SMS as ``case_transition`` per case, but a
    case that cannot take it is left as it is instead of raising: one in another state, one
    with a linked dose outside ``doses_all_in`` (signing: signed or superseded), and every
    case when the actor's kind may not take the transition. The caller passes ids it read
    through a scoped selector (the scope is not checked again). Run inside a transaction.

    On PostgreSQL one statement (``_BULK_SQL``); elsewhere, or with ``sql=False``, Python.
    """
    move, kind = _Move.of(name, actor)
    case_ids = sorted(set(case_ids))
    if kind not in move.transition.actors or not case_ids:
        return []
    changes = {**move.changes(), "updated_at": move.now}
    if sql is None:
        sql = connection.vendor == "postgresql"
    moved = (_bulk_sql if sql else _bulk_python)(case_ids, move, changes, doses_all_in)
    move.notify([pk for pk, wants_sms in moved if wants_sms])
    return [pk for pk, _wants_sms in moved]


def _bulk_python(case_ids: list[int], move: _Move, changes: dict, doses_all_in) -> list[tuple[int, bool]]:
    ready = set(case_ids)
    if doses_all_in is not None:
        ready -= set(InjectionRecord.objects.filter(cases__in=case_ids).exclude(status__in=doses_all_in)
                     .values_list("cases", flat=True))
    if not ready:
        return []
    cases = list(ReconciliationCase.objects.select_for_update()
                 .filter(pk__in=ready, status__in=move.transition.sources).order_by("pk"))
    if not cases:
        return []
    events, audits, request_id = [], [], current_request_id()
    for case in cases:
        before, previous = snapshot(case, AUDITED_FIELDS), case.status
        for field, value in changes.items():
            setattr(case, field, value)
        events.append(CaseEvent(**move.event(case_id=case.pk, previous=previous)))
        audits.append(AuditEvent(actor=move.user, actor_label=move.label, action=move.action,
                                 object_type=CASE_OBJECT_TYPE, object_id=str(case.pk), before=before,
                                 after=snapshot(case, AUDITED_FIELDS), at=move.now, request_id=request_id))
    # Every case takes the same field changes: one UPDATE, then the rows case_transition writes.
    ReconciliationCase.objects.filter(pk__in=[c.pk for c in cases]).update(**changes)
    CaseEvent.objects.bulk_create(events, batch_size=500)
    AuditEvent.objects.bulk_create(audits, batch_size=500)
    return [(c.pk, bool(c.phone and c.confirmed)) for c in cases]


CASE_EVENT_COLUMNS = ("case_id", "at", "actor_id", "actor_label", "transition", "from_status", "to_status",
                      "message", "data")
AUDIT_COLUMNS = ("actor_id", "actor_label", "action", "object_type", "object_id", "before", "after", "at",
                 "request_id")

# One statement: lock the ready cases (in id order), update them, and write the CaseEvent
# and the ``case.<transition>`` AuditEvent of each, the "before" snapshot built from the
# locked row and the "after" one as "before" plus the changed fields.
_BULK_SQL = """
WITH ready AS (
    SELECT k.id, k.status, {before} AS before
    FROM verification_reconciliationcase k
    WHERE k.id = ANY(%(ids)s::bigint[]) AND k.status = ANY(%(sources)s::text[]) {doses}
    ORDER BY k.id
    FOR UPDATE OF k
),
moved AS (
    UPDATE verification_reconciliationcase k SET {assignments}
    FROM ready o WHERE k.id = o.id
    RETURNING k.id, o.status AS previous, o.before, k.phone <> '' AND k.confirmed AS notify
),
events AS (
    INSERT INTO verification_caseevent ({event_columns})
    SELECT id, %(now)s, %(actor)s, %(label)s, %(transition)s, previous, %(target)s, '', '{{}}'::jsonb
    FROM moved
),
audits AS (
    INSERT INTO records_auditevent ({audit_columns})
    SELECT %(actor)s, %(label)s, %(action)s, %(object_type)s, id::text, before,
           before || %(after)s::jsonb, %(now)s, %(request_id)s
    FROM moved
)
SELECT id, notify FROM moved ORDER BY id
"""
_DOSES_ALL_IN_SQL = """AND NOT EXISTS (
        SELECT 1 FROM verification_reconciliationcase_injections t
        JOIN records_injectionrecord r ON r.id = t.injectionrecord_id
        WHERE t.reconciliationcase_id = k.id AND r.status <> ALL(%(doses_all_in)s::text[]))"""


def json_expr(field: models.Field, column: str) -> str:
    """SQL for a column's value as ``snapshot()`` + DjangoJSONEncoder + jsonb store it."""
    if isinstance(field, models.DateTimeField):
        # DjangoJSONEncoder: ISO 8601 in UTC, milliseconds (truncated) only when there are
        # sub-second digits, "Z" for UTC.
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (f"to_jsonb(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', "
                f"{column}) <> {column} THEN to_char({utc}, '.MS') ELSE '' END || 'Z')")
    if isinstance(field, models.JSONField):
        return column
    return f"to_jsonb({column})"


def snapshot_sql(fields: Sequence[str], alias: str) -> str:
    """SQL building ``snapshot(case, fields)`` of the row ``alias`` as jsonb."""
    parts = []
    for field in ReconciliationCase._meta.concrete_fields:
        if field.name in fields:
            parts.append(f"'{field.attname}', {json_expr(field, f'{alias}.{field.column}')}")
    return "jsonb_build_object(%s)" % ", ".join(parts)


def _bulk_sql(case_ids: list[int], move: _Move, changes: dict, doses_all_in) -> list[tuple[int, bool]]:
    meta = ReconciliationCase._meta
    assignments = ", ".join(f"{meta.get_field(name).column} = %(set_{name})s" for name in changes)
    after = {meta.get_field(name).attname: value for name, value in changes.items() if name in AUDITED_FIELDS}
    statement = _BULK_SQL.format(
        before=snapshot_sql(AUDITED_FIELDS, "k"), doses="" if doses_all_in is None else _DOSES_ALL_IN_SQL,
        assignments=assignments, event_columns=", ".join(CASE_EVENT_COLUMNS),
        audit_columns=", ".join(AUDIT_COLUMNS))
    params = {"ids": case_ids, "sources": [str(s) for s in move.transition.sources],
              "doses_all_in": [str(s) for s in doses_all_in or ()], "now": move.now,
              "actor": move.user.pk if move.user else None, "label": move.label,
              "transition": move.transition.name, "target": str(move.transition.target),
              "action": move.action, "object_type": CASE_OBJECT_TYPE,
              "after": json.dumps(after, cls=DjangoJSONEncoder), "request_id": current_request_id(),
              **{f"set_{name}": value for name, value in changes.items()}}
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return [(pk, bool(notify)) for pk, notify in cursor.fetchall()]


# ------------------------------------------------------------------ many cases opened at once


@dataclass(frozen=True)
class NewCase:
    """One case to open with ``cases_open_bulk``: its identity fields (the model's attnames;
    the name already normalised, `name_key` its folded form), the dose it claims and the data of
    its opening event."""

    fields: dict[str, Any]
    dose: dict[str, Any]
    data: dict[str, Any]


# The opening state, dates and every column the caller does not give (their model defaults)
# come from here; one statement writes the cases, their claimed doses and opening events.
_OPEN_SQL = """
WITH src AS (SELECT * FROM case_opening),
opened AS (
    INSERT INTO verification_reconciliationcase ({case_columns})
    SELECT {case_values} FROM src ORDER BY k
    RETURNING id, tracking_code
),
doses AS (
    INSERT INTO verification_claimeddose ({dose_columns})
    SELECT o.id, {dose_values} FROM opened o JOIN src ON src.tracking_code = o.tracking_code
),
events AS (
    INSERT INTO verification_caseevent ({event_columns})
    SELECT o.id, %(now)s, %(actor)s, %(label)s, %(transition)s, '', %(status)s, '', src.data
    FROM opened o JOIN src ON src.tracking_code = o.tracking_code
)
SELECT o.id FROM opened o JOIN src ON src.tracking_code = o.tracking_code ORDER BY src.k
"""


def cases_open_bulk(*, name: str, actor, origin: str, cases: Sequence[NewCase],
                    sql: bool | None = None) -> list[int]:
    """Open every case of `cases` in the state ``workflow.OPENINGS[name]`` gives, set-wise, with
    its ClaimedDose and its opening CaseEvent (transition `name`, to that state, the given
    data); returns the new ids in the order given. Raises NotAllowed when the actor's kind may
    not open cases so. Run inside a transaction (the caller writes the audit event).

    On PostgreSQL one statement (``_OPEN_SQL``) over a COPY of the rows; elsewhere, or with
    ``sql=False``, the ORM's bulk_create of the same rows."""
    opening = workflow.OPENINGS[name]
    kind = actor_kind_of(actor or workflow.SYSTEM)
    if kind not in opening.actors:
        raise NotAllowed(_("Your role cannot do this: %(action)s.") % {"action": opening.label})
    if not cases:
        return []
    user = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    move = _Opened(opening=opening, origin=origin, user=user, label=user.get_username() if user else kind,
                   now=now)
    if sql is None:
        sql = connection.vendor == "postgresql"
    return (_open_sql if sql else _open_python)(list(cases), move)


@dataclass(frozen=True)
class _Opened:
    opening: workflow.Opening
    origin: str
    user: Any
    label: str
    now: datetime

    def case_fields(self, given: dict[str, Any]) -> dict[str, Any]:
        return {**given, "origin": self.origin, "status": self.opening.target, "submitted_at": self.now,
                "deadline_at": self.now + REVIEW_DEADLINE, "updated_at": self.now}

    def event(self, case_id: int, data: dict) -> CaseEvent:
        return CaseEvent(case_id=case_id, at=self.now, actor=self.user, actor_label=self.label,
                         transition=self.opening.name, to_status=self.opening.target, data=data)


def _open_python(cases: list[NewCase], move: _Opened) -> list[int]:
    made = ReconciliationCase.objects.bulk_create(
        [ReconciliationCase(**move.case_fields(c.fields)) for c in cases], batch_size=1000)
    if any(c.pk is None for c in made):  # backends without RETURNING: find them by tracking code
        by_code = dict(ReconciliationCase.objects.filter(
            tracking_code__in=[c.tracking_code for c in made]).values_list("tracking_code", "pk"))
        for c in made:
            c.pk = c.id = by_code[c.tracking_code]
    ClaimedDose.objects.bulk_create([ClaimedDose(case_id=m.pk, **c.dose) for m, c in zip(made, cases)],
                                    batch_size=1000)
    CaseEvent.objects.bulk_create([move.event(m.pk, c.data) for m, c in zip(made, cases)], batch_size=1000)
    return [m.pk for m in made]


def _columns(model: type[models.Model], given: Sequence[str]) -> list[models.Field]:
    return [model._meta.get_field(name) for name in given]


def _open_sql(cases: list[NewCase], move: _Opened) -> list[int]:
    sample = move.case_fields(cases[0].fields)
    given = _columns(ReconciliationCase, [*cases[0].fields, "tracking_code"])
    dose_fields = _columns(ClaimedDose, list(cases[0].dose))
    # Every other column of a case takes its model default, the same for every row.
    fixed = {f: f.get_db_prep_save(sample[f.attname] if f.attname in sample else f.get_default(), connection)
             for f in ReconciliationCase._meta.concrete_fields
             if not f.primary_key and f not in given}
    staged = [("k", "int"), *((f.column, f.db_type(connection)) for f in given),
              *((f"d_{f.column}", f.db_type(connection)) for f in dose_fields), ("data", "jsonb")]
    params = {"now": move.now, "actor": move.user.pk if move.user else None, "label": move.label,
              "transition": move.opening.name, "status": str(move.opening.target),
              **{f"fixed_{f.column}": value for f, value in fixed.items()}}
    statement = _OPEN_SQL.format(
        case_columns=", ".join([*(f.column for f in given), *(f.column for f in fixed)]),
        case_values=", ".join([*(f.column for f in given), *(f"%(fixed_{f.column})s" for f in fixed)]),
        dose_columns=", ".join(["case_id", *(f.column for f in dose_fields)]),
        dose_values=", ".join(f"src.d_{f.column}" for f in dose_fields),
        event_columns=", ".join(CASE_EVENT_COLUMNS))
    buf = io.StringIO()
    for k, c in enumerate(cases):
        values = [k, *(c.fields[f.attname] for f in given[:-1]), new_tracking_code(),
                  *(c.dose[f.attname] for f in dose_fields), json.dumps(c.data, cls=DjangoJSONEncoder)]
        buf.write("\t".join(copy_text(v) for v in values) + "\n")
    buf.seek(0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS case_opening ("
                       + ", ".join(f"{n} {t}" for n, t in staged) + ") ON COMMIT DROP")
        cursor.execute("TRUNCATE case_opening")
        cursor.cursor.copy_expert("COPY case_opening FROM STDIN WITH (FORMAT text)", buf)
        cursor.execute(statement, params)
        ids = [pk for (pk,) in cursor.fetchall()]
        cursor.execute("DROP TABLE case_opening")
    return ids
