"""Django's SQLite backend, but a flush goes around the append-only triggers.

Records migration 0006 refuses UPDATE and DELETE of audit rows, case events and signatures
with triggers. PostgreSQL flushes with TRUNCATE, which row triggers do not see; SQLite has no
TRUNCATE and flushes with ``DELETE FROM``, so here the flush (``manage.py flush``, the test
suite's transactional tests) drops the guard triggers, empties the tables and puts the same
triggers back, in its one transaction. Nothing else changes.
"""

from django.db.backends.sqlite3 import base, operations

GUARDS_SQL = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'vaxrecon_guard_%'"


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(style, tables, reset_sequences=reset_sequences,
                                       allow_cascade=allow_cascade)
        if not statements:
            return statements
        with self.connection.cursor() as cursor:
            cursor.execute(GUARDS_SQL)
            guards = cursor.fetchall()
        return [*(f"DROP TRIGGER {name}" for name, _sql in guards), *statements,
                *(sql for _name, sql in guards)]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
