"""Make the audit trail append-only and hash-chained in the database, not only in the ORM;
refuse changes to case events and to signatures (but their supersession) the same way.

Why in the database: the audit rows are also written by COPY and ``INSERT ... SELECT``
(batch signing, the set-wise case transitions, the import's fast path), and the threat is
someone with SQL access editing history; Python cannot see either.

PostgreSQL:

* ``vaxrecon_guard_auditevent`` refuses every UPDATE and DELETE of an audit row (and of a
  block). TRUNCATE (the test suite's flush) is not a row operation and still works.
* ``vaxrecon_audit_link`` (BEFORE INSERT, each row): the transaction's events form one block;
  the first one takes a new block id, each one gets its place in the block (``chain_pos``)
  and ``chain_hash`` = SHA-256 over the previous event's hash in the block and the event's
  canonical content (``vaxrecon_audit_digest``: a JSON array of every column, the time in UTC).
  The running state lives in a transaction-local setting, so savepoints that roll back take
  their part of the chain with them and concurrent transactions never share state.
* ``vaxrecon_audit_seal`` (a deferred constraint trigger, once per block, at COMMIT or at
  ``SET CONSTRAINTS ALL IMMEDIATE``) takes the chain's advisory lock, reads the last block and
  writes this one (``records_auditblock``): the next ``seq``, the previous block's hash, the
  count, the last event's hash and id, and a hash over all of it. Only this step is
  serialised, and only for the last moments of the transaction; REPEATABLE READ
  transactions cannot fork the chain (``seq`` is unique: the second one fails).
* Rows present when this migration runs are sealed by a "genesis" block (id 0): their
  count, highest id and a running SHA-256 over their digests.

SQLite (the embedded default): the same refusals by triggers (RAISE(ABORT)); the chain is
PostgreSQL only (docs/ARCHITECTURE.md "Audit trail" says why). The flush of a SQLite test
database goes around the triggers in ``vaxrecon.sqlite`` (it deletes rows, it cannot truncate).
"""

from django.db import migrations, models

PG_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION vaxrecon_hash(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT encode(sha256(convert_to(value, 'UTF8')), 'hex') $$;

CREATE OR REPLACE FUNCTION vaxrecon_audit_digest(prev text, e records_auditevent) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT vaxrecon_hash(jsonb_build_array(
        prev, e.id, e.block_id, e.chain_pos, e.actor_id, e.actor_label, e.action, e.object_type,
        e.object_id, e.before, e.after, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        e.request_id)::text)
$$;

CREATE OR REPLACE FUNCTION vaxrecon_audit_block_hash(b records_auditblock) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT vaxrecon_hash(jsonb_build_array(
        b.prev_hash, b.seq, b.id, b.row_count, b.last_row_hash, b.last_event_id,
        to_char(b.sealed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'))::text)
$$;

-- A running hash (the genesis block's digest of the rows written before the chain).
CREATE OR REPLACE FUNCTION vaxrecon_hash_step(state text, value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT vaxrecon_hash(state || value) $$;
CREATE OR REPLACE AGGREGATE vaxrecon_hash_chain(text) (SFUNC = vaxrecon_hash_step, STYPE = text, INITCOND = '');

CREATE OR REPLACE FUNCTION vaxrecon_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % of row % refused', TG_TABLE_NAME, TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END $$;

-- state: "<block id> <position> <hash> <event id>" of the transaction's last event.
CREATE OR REPLACE FUNCTION vaxrecon_audit_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    state text[] := string_to_array(current_setting('vaxrecon.audit_block', true), ' ');
    prev text := '';
BEGIN
    IF state IS NULL OR cardinality(state) <> 4 THEN
        NEW.block_id := nextval(pg_get_serial_sequence('records_auditblock', 'id'));
        NEW.chain_pos := 1;
    ELSE
        NEW.block_id := state[1]::bigint;
        NEW.chain_pos := state[2]::integer + 1;
        prev := state[3];
    END IF;
    NEW.chain_hash := vaxrecon_audit_digest(prev, NEW);
    PERFORM set_config('vaxrecon.audit_block',
                       concat_ws(' ', NEW.block_id, NEW.chain_pos, NEW.chain_hash, NEW.id), true);
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION vaxrecon_audit_seal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    state text[] := string_to_array(current_setting('vaxrecon.audit_block', true), ' ');
    head records_auditblock%ROWTYPE;
    sealed records_auditblock%ROWTYPE;
BEGIN
    IF state IS NULL OR cardinality(state) <> 4 OR state[1]::bigint <> NEW.block_id THEN
        RAISE EXCEPTION 'audit chain: the open block % of this transaction was lost', NEW.block_id;
    END IF;
    -- One sealer at a time: the lock is held until this transaction ends.
    PERFORM pg_advisory_xact_lock(8938002021);
    SELECT * INTO head FROM records_auditblock ORDER BY seq DESC LIMIT 1;
    sealed.id := NEW.block_id;
    sealed.seq := COALESCE(head.seq, 0) + 1;
    sealed.prev_hash := COALESCE(head.hash, '');
    sealed.row_count := state[2]::integer;
    sealed.last_row_hash := state[3];
    sealed.last_event_id := state[4]::bigint;
    sealed.sealed_at := clock_timestamp();
    sealed.hash := vaxrecon_audit_block_hash(sealed);
    INSERT INTO records_auditblock VALUES (sealed.*);
    PERFORM set_config('vaxrecon.audit_block', '', true);
    RETURN NULL;
END $$;
"""

# Case events: never changed; deleted only with their case when it is a citizen's draft
# never confirmed with its code (``purge_unconfirmed_reports``, which audits each one).
PG_CASE_EVENT_GUARD = r"""
CREATE OR REPLACE FUNCTION vaxrecon_guard_caseevent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM verification_reconciliationcase k
        WHERE k.id = OLD.case_id AND NOT k.confirmed AND k.origin = 'citizen_report') THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'verification_caseevent is append-only: % of row % refused', TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER vaxrecon_guard_caseevent BEFORE UPDATE OR DELETE ON verification_caseevent
    FOR EACH ROW EXECUTE FUNCTION vaxrecon_guard_caseevent();
"""

# Signatures: the one change allowed is the supersession (valid -> superseded, with its time),
# every other column as it was; never deleted.
PG_SIGNATURE_GUARD = r"""
CREATE OR REPLACE FUNCTION vaxrecon_guard_signature() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'valid' AND NEW.status = 'superseded'
       AND OLD.superseded_at IS NULL AND NEW.superseded_at IS NOT NULL
       AND to_jsonb(NEW) - 'status' - 'superseded_at' = to_jsonb(OLD) - 'status' - 'superseded_at' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'signing_signature: only its supersession may change a signature: % of row % refused',
        TG_OP, OLD.id USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER vaxrecon_guard_signature BEFORE UPDATE OR DELETE ON signing_signature
    FOR EACH ROW EXECUTE FUNCTION vaxrecon_guard_signature();
"""

PG_TRIGGERS = """
CREATE TRIGGER vaxrecon_guard_auditevent BEFORE UPDATE OR DELETE ON records_auditevent
    FOR EACH ROW EXECUTE FUNCTION vaxrecon_refuse_change();
CREATE TRIGGER vaxrecon_guard_auditblock BEFORE UPDATE OR DELETE ON records_auditblock
    FOR EACH ROW EXECUTE FUNCTION vaxrecon_refuse_change();
CREATE TRIGGER vaxrecon_audit_link BEFORE INSERT ON records_auditevent
    FOR EACH ROW EXECUTE FUNCTION vaxrecon_audit_link();
CREATE CONSTRAINT TRIGGER vaxrecon_audit_seal AFTER INSERT ON records_auditevent
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.chain_pos = 1)
    EXECUTE FUNCTION vaxrecon_audit_seal();
"""

# The rows already there: one block of id 0 seals their count, highest id and running hash.
PG_GENESIS = """
INSERT INTO records_auditblock (id, seq, prev_hash, hash, row_count, last_row_hash, last_event_id, sealed_at)
SELECT 0, 1, '', '', count(*), vaxrecon_hash_chain(vaxrecon_audit_digest('', e) ORDER BY e.id), max(e.id),
       clock_timestamp()
FROM records_auditevent e HAVING count(*) > 0;
UPDATE records_auditblock b SET hash = vaxrecon_audit_block_hash(b) WHERE id = 0;
"""

PG_DROP = """
DROP TRIGGER IF EXISTS vaxrecon_guard_signature ON signing_signature;
DROP TRIGGER IF EXISTS vaxrecon_guard_caseevent ON verification_caseevent;
DROP FUNCTION IF EXISTS vaxrecon_guard_signature(), vaxrecon_guard_caseevent();
DROP TRIGGER IF EXISTS vaxrecon_audit_seal ON records_auditevent;
DROP TRIGGER IF EXISTS vaxrecon_audit_link ON records_auditevent;
DROP TRIGGER IF EXISTS vaxrecon_guard_auditblock ON records_auditblock;
DROP TRIGGER IF EXISTS vaxrecon_guard_auditevent ON records_auditevent;
DROP FUNCTION IF EXISTS vaxrecon_audit_seal(), vaxrecon_audit_link(), vaxrecon_refuse_change(),
    vaxrecon_audit_block_hash(records_auditblock), vaxrecon_audit_digest(text, records_auditevent);
DROP AGGREGATE IF EXISTS vaxrecon_hash_chain(text);
DROP FUNCTION IF EXISTS vaxrecon_hash_step(text, text), vaxrecon_hash(text);
"""

def _sqlite_refusal(table: str, op: str, when: str = "") -> str:
    return (f"CREATE TRIGGER vaxrecon_guard_{table}_{op.lower()} BEFORE {op} ON {table} "
            f"{'WHEN ' + when if when else ''} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END")


SIGNATURE_COLUMNS = ("id", "record_id", "case_id", "police_reference", "payload_hash", "signature", "algorithm",
                     "certificate_id", "signing_time", "signed_by_id", "batch_id")
SQLITE_TRIGGERS = [
    *(_sqlite_refusal(table, op) for table in ("records_auditevent", "records_auditblock")
      for op in ("UPDATE", "DELETE")),
    _sqlite_refusal("verification_caseevent", "UPDATE"),
    _sqlite_refusal("verification_caseevent", "DELETE", when=(
        "NOT EXISTS (SELECT 1 FROM verification_reconciliationcase k WHERE k.id = OLD.case_id "
        "AND NOT k.confirmed AND k.origin = 'citizen_report')")),
    _sqlite_refusal("signing_signature", "DELETE"),
    _sqlite_refusal("signing_signature", "UPDATE", when="NOT (OLD.status = 'valid' AND NEW.status = 'superseded' "
                    "AND OLD.superseded_at IS NULL AND NEW.superseded_at IS NOT NULL AND "
                    + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in SIGNATURE_COLUMNS) + ")"),
]


def _run(schema_editor, *statements: str) -> None:
    # No parameters: the bodies hold RAISE's own % placeholders.
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, PG_FUNCTIONS, PG_GENESIS, PG_TRIGGERS, PG_CASE_EVENT_GUARD, PG_SIGNATURE_GUARD)
    elif schema_editor.connection.vendor == "sqlite":
        _run(schema_editor, *SQLITE_TRIGGERS)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, PG_DROP)
    elif schema_editor.connection.vendor == "sqlite":
        _run(schema_editor, *("DROP TRIGGER IF EXISTS " + s.split()[2] for s in SQLITE_TRIGGERS))


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0005_injection_report_indexes"),
        # The guards of the case timeline and of the signatures live here too: one migration
        # makes the whole trail append-only (only their tables are needed).
        ("verification", "0007_case_id_number"),
        ("signing", "0004_signature_case_record_index"),
    ]

    operations = [
        migrations.AddField(model_name="auditevent", name="block_id",
                            field=models.BigIntegerField(editable=False, null=True)),
        migrations.AddField(model_name="auditevent", name="chain_pos",
                            field=models.PositiveIntegerField(editable=False, null=True)),
        migrations.AddField(model_name="auditevent", name="chain_hash",
                            field=models.CharField(editable=False, max_length=64, null=True)),
        migrations.CreateModel(
            name="AuditBlock",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("seq", models.BigIntegerField(unique=True)),
                ("prev_hash", models.CharField(blank=True, max_length=64)),
                ("hash", models.CharField(max_length=64)),
                ("row_count", models.PositiveIntegerField()),
                ("last_row_hash", models.CharField(blank=True, max_length=64)),
                ("last_event_id", models.BigIntegerField(null=True)),
                ("sealed_at", models.DateTimeField()),
            ],
            options={"verbose_name": "audit chain block", "verbose_name_plural": "audit chain blocks",
                     "ordering": ["seq"]},
            bases=(models.Model,),
        ),
        migrations.RunPython(forward, backward),
    ]
