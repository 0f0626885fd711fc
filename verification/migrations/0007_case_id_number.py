"""The clinic queue's search by CCCD/CMND: an exact match on the stored digits, read from an
index (partial: citizen reports and imports often carry no number, and those rows need no
entry). Without it the search filtered every open case of the facility row by row; the phone
search has had its partial index (case_phone) since 0004."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('verification', '0006_case_facility_open_queue'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='reconciliationcase',
            index=models.Index(condition=models.Q(('id_number', ''), _negated=True), fields=['id_number'],
                               name='case_id_number'),
        ),
    ]
