"""Checking the audit trail's hash chain (written by the database: records migration 0006).

Two levels, both recomputed here from the stored rows with the same SQL functions the
triggers use (``vaxrecon_audit_digest``, ``vaxrecon_audit_block_hash``):

* inside a block (one committed transaction's events, in id order): each event's place is
  the one after its predecessor's and its hash covers its content and its predecessor's hash;
* the blocks: ``seq`` 1, 2, 3, ... with no gap, each naming the previous block's hash, each
  hash over its own fields, and each block's count, last event id and last hash equal to
  what its events are now. The block of id 0 (if any) seals the events older than the chain.

``audit_chain_verify`` returns every problem found, naming the events (by id) and blocks
(by seq) concerned. PostgreSQL only (docs/ARCHITECTURE.md "Audit trail" says why).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext as _

LIMIT = 1000  # problems of each kind listed; the counts stay exact

_EVENT_LINKS_SQL = """
WITH e AS (
    SELECT e.id, e.block_id, e.chain_pos, e.chain_hash,
           lag(e.chain_pos) OVER w AS prev_pos, lag(e.id) OVER w AS prev_id,
           vaxrecon_audit_digest(COALESCE(lag(e.chain_hash) OVER w, ''), e) AS digest
    FROM records_auditevent e
    WHERE e.block_id IS NOT NULL
    WINDOW w AS (PARTITION BY e.block_id ORDER BY e.id)
)
SELECT e.id, b.seq, e.chain_pos, e.prev_id, e.prev_pos
FROM e LEFT JOIN records_auditblock b ON b.id = e.block_id
WHERE e.chain_pos IS DISTINCT FROM COALESCE(e.prev_pos, 0) + 1 OR e.digest IS DISTINCT FROM e.chain_hash
ORDER BY e.block_id, e.id
"""

# Events outside the chain: no chain fields (but the ones older than it), or a block that
# was never sealed (but the open block of this very transaction).
_UNCHAINED_SQL = """
SELECT e.id FROM records_auditevent e LEFT JOIN records_auditblock b ON b.id = e.block_id
WHERE (e.block_id IS NULL OR e.chain_pos IS NULL OR e.chain_hash IS NULL OR b.id IS NULL)
  AND NOT (e.block_id IS NULL AND e.chain_pos IS NULL AND e.chain_hash IS NULL
           AND e.id <= %(legacy_last)s)
  AND (%(open_block)s::bigint IS NULL OR e.block_id IS DISTINCT FROM %(open_block)s)
ORDER BY e.id
"""

_BLOCKS_SQL = """
WITH agg AS (
    SELECT block_id, count(*) AS n, max(id) AS last_id FROM records_auditevent
    WHERE block_id IS NOT NULL GROUP BY block_id
),
b AS (
    SELECT b.*, vaxrecon_audit_block_hash(b) AS digest,
           lag(b.seq) OVER (ORDER BY b.seq) AS prev_seq, lag(b.hash) OVER (ORDER BY b.seq) AS prev_block_hash
    FROM records_auditblock b
)
SELECT b.id, b.seq, b.prev_seq, b.digest = b.hash, b.prev_hash = COALESCE(b.prev_block_hash, ''),
       b.row_count, b.last_event_id, b.last_row_hash, a.n, a.last_id, last.chain_hash
FROM b LEFT JOIN agg a ON a.block_id = b.id LEFT JOIN records_auditevent last ON last.id = a.last_id
ORDER BY b.seq
"""

_LEGACY_SQL = """
SELECT count(*), COALESCE(vaxrecon_hash_chain(vaxrecon_audit_digest('', e) ORDER BY e.id), '')
FROM records_auditevent e
WHERE e.block_id IS NULL AND e.chain_pos IS NULL AND e.chain_hash IS NULL AND e.id <= %(legacy_last)s
"""


@dataclass(frozen=True)
class ChainProblem:
    kind: str          # changed | missing | inserted | unchained | block
    message: str
    event_ids: tuple[int, ...] = ()


@dataclass
class ChainReport:
    events: int = 0
    blocks: int = 0
    head_seq: int | None = None
    head_hash: str = ""
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def chain_supported() -> bool:
    return connection.vendor == "postgresql"


def _open_block(cursor) -> int | None:
    cursor.execute("SELECT current_setting('vaxrecon.audit_block', true)")
    state = (cursor.fetchone()[0] or "").split()
    return int(state[0]) if len(state) == 4 else None


def _link_problem(event_id, seq, pos, prev_id, prev_pos) -> ChainProblem:
    if prev_pos is not None and pos is not None and pos <= prev_pos:
        return ChainProblem("inserted", _("Event %(id)s repeats place %(pos)s of block %(seq)s (after event "
                                          "%(prev)s): it was inserted.") % {
            "id": event_id, "pos": pos, "seq": seq, "prev": prev_id}, (event_id,))
    expected = (prev_pos or 0) + 1
    if pos != expected:
        values = {"seq": seq, "n": (pos or 0) - expected, "prev": prev_id, "id": event_id}
        if prev_id:
            return ChainProblem("missing", _("Block %(seq)s: %(n)s event(s) missing after event %(prev)s, "
                                             "before event %(id)s.") % values, (prev_id, event_id))
        return ChainProblem("missing", _("Block %(seq)s: %(n)s event(s) missing at its start, before event "
                                         "%(id)s.") % values, (event_id,))
    if prev_id:
        return ChainProblem("changed", _("Event %(id)s does not match its hash: it, or the event %(prev)s "
                                         "before it, was changed.") % {"id": event_id, "prev": prev_id},
                            (event_id, prev_id))
    return ChainProblem("changed", _("Event %(id)s does not match its hash: it was changed.")
                        % {"id": event_id}, (event_id,))


def _block_problems(row, expected_seq: int) -> list[ChainProblem]:
    (block_id, seq, prev_seq, sealed_ok, linked, count, last_event, last_hash, n, last_id,
     found_hash) = row
    out = []
    if seq != expected_seq:
        out.append(ChainProblem("block", _("Blocks %(first)s to %(last)s are missing (deleted with their "
                                           "events).") % {"first": expected_seq, "last": seq - 1}))
    elif prev_seq is not None and not linked:
        out.append(ChainProblem("block", _("Block %(seq)s does not follow block %(prev)s.")
                                % {"seq": seq, "prev": prev_seq}))
    if not sealed_ok:
        out.append(ChainProblem("block", _("Block %(seq)s was changed.") % {"seq": seq}))
    if block_id == 0:
        return out
    if not n:
        out.append(ChainProblem("missing", _("Block %(seq)s: all its %(n)s event(s) are missing (ids up to "
                                             "%(last)s).") % {"seq": seq, "n": count, "last": last_event}))
    elif (n, last_id, found_hash) != (count, last_event, last_hash):
        out.append(ChainProblem("missing", _("Block %(seq)s: it sealed %(count)s event(s) ending with event "
                                             "%(last)s; now %(n)s ending with event %(found)s.") % {
            "seq": seq, "count": count, "last": last_event, "n": n, "found": last_id}, (last_id,)))
    return out


def _legacy_problems(cursor, genesis) -> list[ChainProblem]:
    _id, _seq, _prev, _ok, _linked, count, last_event, last_hash, *_rest = genesis
    cursor.execute(_LEGACY_SQL, {"legacy_last": last_event})
    found, digest = cursor.fetchone()
    if (found, digest) == (count, last_hash):
        return []
    return [ChainProblem("changed", _("The events written before the chain (ids up to %(last)s, sealed as "
                                      "%(count)s) were changed, deleted or added to: now %(found)s.") % {
        "last": last_event, "count": count, "found": found})]


def audit_chain_verify(*, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Recompute the chain and return what is wrong with it (empty ``problems``: intact).

    ``anchor`` is a (seq, hash) of a head recorded earlier elsewhere: that block must still
    be there with that hash (the one check that also catches the removal of the newest blocks).
    """
    report = ChainReport()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM records_auditevent")
        report.events = cursor.fetchone()[0]
        cursor.execute(_BLOCKS_SQL)
        blocks = cursor.fetchall()
        report.blocks = len(blocks)
        genesis = next((b for b in blocks if b[0] == 0), None)
        expected = 1
        for row in blocks:
            report.problems += _block_problems(row, expected)
            expected = row[1] + 1
        if blocks:
            report.head_seq, report.head_hash = blocks[-1][1], _hash_of(cursor, blocks[-1][0])
        if genesis is not None:
            report.problems += _legacy_problems(cursor, genesis)
        cursor.execute(_EVENT_LINKS_SQL + f" LIMIT {LIMIT}")
        report.problems += [_link_problem(*row) for row in cursor.fetchall()]
        cursor.execute(_UNCHAINED_SQL + f" LIMIT {LIMIT}",
                       {"legacy_last": genesis[6] if genesis else 0, "open_block": _open_block(cursor)})
        report.problems += [ChainProblem("unchained", _("Event %(id)s is outside the chain: it was written "
                                                        "around the database's triggers.") % {"id": pk},
                                         (pk,)) for (pk,) in cursor.fetchall()]
        if anchor is not None:
            report.problems += _anchor_problems(cursor, *anchor)
    return report


def _hash_of(cursor, block_id: int) -> str:
    cursor.execute("SELECT hash FROM records_auditblock WHERE id = %s", [block_id])
    return cursor.fetchone()[0]


def _anchor_problems(cursor, seq: int, expected: str) -> list[ChainProblem]:
    cursor.execute("SELECT hash FROM records_auditblock WHERE seq = %s", [seq])
    row = cursor.fetchone()
    if row is not None and row[0] == expected:
        return []
    message = _("The recorded head, block %(seq)s with hash %(hash)s, is not in the chain any more: blocks "
                "were removed or replaced.") % {"seq": seq, "hash": expected}
    return [ChainProblem("block", message)]
