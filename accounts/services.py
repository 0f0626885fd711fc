"""Writing users and their roles."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction

from accounts.models import Profile, Role
from records.audit import record_event
from records.models import Facility, Province, Ward
from vaxrecon.errors import InvalidInput


def ensure_role_groups() -> None:
    """One auth Group per role (idempotent)."""
    for role in Role.values:
        Group.objects.get_or_create(name=role)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    facility: Facility | None = None,
    ward: Ward | None = None,
    province: Province | None = None,
    first_name: str = "",
    last_name: str = "",
    actor: User | None = None,
) -> User:
    """Create a user with a role bound to the scope that role works in; returns the user."""
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}.", field="role")
    needed = {
        Role.CLINIC_STAFF: facility,
        Role.COMMUNE_POLICE: ward,
        Role.SIGNER: facility or ward,
        Role.PROVINCIAL_OFFICER: province,
        Role.MINISTRY_ANALYST: True,
    }[Role(role)]
    if not needed:
        raise InvalidInput(f"Role {role} needs a scope (facility, ward or province).", field="role")
    user = User.objects.create_user(
        username=username, password=password, first_name=first_name, last_name=last_name
    )
    Profile.objects.create(user=user, role=role, facility=facility, ward=ward, province=province)
    ensure_role_groups()
    user.groups.add(Group.objects.get(name=role))
    record_event(
        actor=actor, action="user.create", obj=user,
        after={"username": username, "role": role, "facility": getattr(facility, "code", None),
               "ward": getattr(ward, "code", None), "province": getattr(province, "code", None)},
    )
    return user
