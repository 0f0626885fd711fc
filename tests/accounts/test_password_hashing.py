"""Passwords are stored with Argon2id at OWASP's cost; a hash made before (PBKDF2) still lets
its user in and is re-made with Argon2id at that log-in. The test settings use a fast hasher;
these tests use the production list (vaxrecon.settings.base)."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, identify_hasher, make_password
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse

from vaxrecon.settings import base

PASSWORD = "pw-for-tests-only"
ARGON2ID_OWASP = "argon2$argon2id$v=19$m=19456,t=2,p=1$"

production_hashers = override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)


@production_hashers
def test_a_new_password_is_stored_as_argon2id_with_owasp_parameters():
    encoded = make_password(PASSWORD)
    assert encoded.startswith(ARGON2ID_OWASP)
    assert check_password(PASSWORD, encoded) and not check_password("wrong-" + PASSWORD, encoded)
    assert "pbkdf2" not in encoded and PASSWORD not in encoded


@production_hashers
def test_the_stored_hash_is_checked_by_stock_django_argon2_too():
    # The format is Django's own: the parameters travel in the hash.
    assert Argon2PasswordHasher().verify(PASSWORD, make_password(PASSWORD))


@pytest.mark.django_db
@production_hashers
def test_a_pbkdf2_hash_from_before_logs_in_and_is_remade_as_argon2id(client, clinic_user):
    old = make_password(PASSWORD, hasher="pbkdf2_sha256")
    User.objects.filter(pk=clinic_user.pk).update(password=old)
    response = client.post(reverse("login"), {"username": clinic_user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    clinic_user.refresh_from_db()
    assert clinic_user.password.startswith(ARGON2ID_OWASP)
    assert identify_hasher(clinic_user.password).algorithm == "argon2"


@pytest.mark.django_db
@production_hashers
def test_a_wrong_password_against_a_pbkdf2_hash_changes_nothing(client, clinic_user):
    old = make_password(PASSWORD, hasher="pbkdf2_sha256")
    User.objects.filter(pk=clinic_user.pk).update(password=old)
    response = client.post(reverse("login"), {"username": clinic_user.username, "password": "not-it"})
    assert response.status_code == 200  # the form again, with its error
    clinic_user.refresh_from_db()
    assert clinic_user.password == old
