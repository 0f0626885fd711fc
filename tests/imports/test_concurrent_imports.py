"""Two imports of the same file at once (two clinic staff, or a double-click and a retry), on
PostgreSQL where they really run in parallel: every row lands once — one dose, one ledger row,
one review, one case — and the two runs' counts add up to the file (what one landed, the other
counts as already imported). Fast and portable paths, and the two together."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.models import Count

from records.models import AuditEvent, InjectionRecord
from tests.imports.test_worker_killed import _log
from verification.imports.pipeline import import_records
from verification.models import CaseEvent, ImportedRow, MatchReview, ReconciliationCase

ROWS = 303  # _log: the three known rows and 300 strangers


def _at_once(tmp_path, facility, paths: tuple[bool, bool]):
    """Both imports of the same file started together (a barrier), each on its own connection."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has one writer, the imports would just take turns")
    path = _log(tmp_path)
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def run(n: int, fast: bool):
        try:
            barrier.wait()
            results[n] = import_records(path=path, error_report=tmp_path / f"errors-{n}.csv",
                                        facility=facility, workers=1, batch_size=50, fast=fast)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, fast)) for n, fast in enumerate(paths)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    return results[0], results[1]


def _once_each(field_model, field: str) -> dict:
    """Values of `field` that more than one row of `field_model` holds (empty: each once)."""
    return dict(field_model.values_list(field).annotate(n=Count("id")).filter(n__gt=1))


@pytest.mark.services
@pytest.mark.parametrize("paths", [(True, True), (False, False), (True, False)],
                         ids=["fast+fast", "portable+portable", "fast+portable"])
def test_two_imports_of_the_same_file_at_once_land_every_row_once(
        transactional_db, registry, hanoi_facility, tmp_path, paths):
    first, second = _at_once(tmp_path, hanoi_facility, paths)

    assert first.invalid == second.invalid == 0
    landed = [r.linked + r.review + r.unmatched for r in (first, second)]
    assert sum(landed) == ROWS  # what one run landed, the other skipped as already imported
    assert (first.skipped, second.skipped) == (ROWS - landed[0], ROWS - landed[1])
    assert ImportedRow.objects.count() == ROWS
    assert ImportedRow.objects.values("source_record_id").distinct().count() == ROWS
    doses = InjectionRecord.objects.filter(source="imported")
    assert doses.count() == first.linked + second.linked
    assert _once_each(doses, "source_record_id") == {}
    assert doses.filter(source_record_id="R-LINK").count() == 1
    assert _once_each(MatchReview.objects, "source_record_id") == {}
    assert MatchReview.objects.count() == first.review + second.review
    cases = ReconciliationCase.objects.filter(origin=ReconciliationCase.Origin.BULK_IMPORT)
    imported = CaseEvent.objects.filter(transition="import")
    assert cases.count() == first.unmatched + second.unmatched == imported.count()
    assert len({e.data["record_id"] for e in imported}) == cases.count()
    # Each run's audit event names exactly the rows that run landed.
    runs = AuditEvent.objects.filter(action="import.file")
    assert runs.count() == 2
    assert sorted(ImportedRow.objects.filter(import_event__in=runs).values_list("import_event")
                  .annotate(n=Count("id")).values_list("n", flat=True)) == sorted(n for n in landed if n)
