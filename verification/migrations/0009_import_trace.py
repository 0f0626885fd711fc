"""Every row an import lands can be traced to its run, file and line (issue 16).

The ledger row (`ImportedRow`) gets the run's `import.file` audit event (who, when, the file's
name and SHA-256, the job), the line of the file, and the injection record it became (one to
one: the auditor's way from a record to its line); a review gets the run's event (its line is
already in its record). Nullable: rows landed before this migration have none.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0005_injection_report_indexes'),
        ('verification', '0008_job_leases_outbox'),
    ]

    operations = [
        migrations.AddField(
            model_name='importedrow',
            name='import_event',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='records.auditevent'),
        ),
        migrations.AddField(
            model_name='importedrow',
            name='injection',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='imported_row', to='records.injectionrecord'),
        ),
        migrations.AddField(
            model_name='importedrow',
            name='line',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='matchreview',
            name='import_event',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='records.auditevent'),
        ),
    ]
