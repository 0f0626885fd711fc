"""How passwords are stored: Argon2id at OWASP's recommended cost.

Django 5.2's default, PBKDF2-SHA256 at 1,000,000 iterations, costs 0.2-0.45 s of one CPU
core for every log-in on this project's two-core servers, and a GPU cracks PBKDF2 far
faster than a server checks it. Argon2id (the winner of the Password Hashing Competition,
RFC 9106) is memory-hard: each guess needs its own 19 MiB, which is what makes GPU and ASIC
cracking expensive. OWASP's Password Storage Cheat Sheet gives m = 19 MiB, t = 2, p = 1 as
its minimum configuration for it; about 20 ms of CPU a log-in here.

The hash keeps Django's "argon2" format with its parameters inside, so stock Django verifies
it too, and a hash made with other parameters (or by PBKDF2, still listed in
PASSWORD_HASHERS for the accounts made before) is re-made with these at the user's next
successful log-in (Django's `must_update`).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id, m = 19 MiB, t = 2, p = 1 (OWASP's minimum configuration for Argon2id)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
