"""Let the signing status UPDATE be HOT (heap-only) on PostgreSQL.

``injection_citizen_status`` (citizen, status) duplicated the citizen FK index plus the
status; with status indexed, every status change (a million of them in a signing batch)
wrote a new entry in each of the table's nine indexes. No query needs the pair (the
per-citizen queries use the citizen index). Fill factor 90 leaves room on new pages for
the updated row versions, which HOT needs; it applies to pages written from now on
(``VACUUM FULL records_injectionrecord`` repacks existing ones, off-line).
"""

from django.db import migrations


def _fillfactor(value):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE records_injectionrecord SET (fillfactor = {int(value)})")
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0002_reference_data"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="injectionrecord",
            name="injection_citizen_status",
        ),
        migrations.RunPython(_fillfactor(90), _fillfactor(100)),
    ]
