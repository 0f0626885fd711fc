"""Administrative units (34 provinces, 3,321 communes) and the vaccine catalogue."""

from django.db import migrations


def load(apps, schema_editor):
    from records.services import load_divisions, load_vaccines

    load_divisions(apps.get_model("records", "Province"), apps.get_model("records", "Ward"))
    load_vaccines(apps.get_model("records", "VaccineProduct"))


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
