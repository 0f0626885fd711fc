"""The clinic queue's scope is a facility's cases or, for reports no facility holds yet, its
ward's: each half is read from a partial index of open cases in page order, so PostgreSQL can
take the two small ranges instead of walking every case of the nation by submission time."""

import pytest
from django.db import connection

from accounts.models import Role
from tests.factories import make_user
from vaxrecon.access import scope_for
from verification.selectors import case_queue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("index plans are PostgreSQL's")


def test_both_halves_of_the_clinic_scope_are_read_from_their_partial_indexes(hanoi_facility):
    user = make_user(Role.CLINIC_STAFF, username="clinic-plan", facility=hanoi_facility)
    sql, params = case_queue(scope=scope_for(user)).values("id")[:25].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # leave the planner the bitmap of both halves
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "case_facility_open" in plan and "case_ward_unassigned_open" in plan, plan
