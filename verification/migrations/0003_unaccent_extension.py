"""The `unaccent` extension, which the PostgreSQL import fast path uses to fold names.

Installed here (by a migration, with the rights migrations run with) rather than at import
time. A no-op on other databases. The fast path still checks, letter by letter, that
unaccent() folds as `records.normalize.fold_name` does, and folds in Python when the
extension is missing.
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("verification", "0002_police_registry_circuit")]

    operations = [UnaccentExtension()]
