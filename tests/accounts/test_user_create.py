"""Creating a user: a role is refused without the scope it works in."""

import pytest

from accounts.models import Role
from tests.factories import make_user
from vaxrecon.errors import InvalidInput


def test_a_role_needs_the_scope_it_works_in(db):
    with pytest.raises(InvalidInput):
        make_user(Role.COMMUNE_POLICE, username="police-without-ward")
