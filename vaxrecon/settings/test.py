from .base import *  # noqa: F401,F403
from .base import CACHES, RATE_LIMITS

# Fast hashing in tests; real hashing everywhere else.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SMS_BACKEND = "verification.sms.LocmemBackend"
# Tests see the figures they just made: no shared cache between tests or runs.
CACHES["default"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
SCOPE_FIGURES_MAX_AGE = 0
LINKAGE_REGISTRY_SIZE_MAX_AGE = 0
# The rate limits' counters live in the in-process cache, kept from test to test: the suite's own
# requests must not trip them (tests of the limits set their own).
RATE_LIMITS = {bucket: (100_000, 60) for bucket in RATE_LIMITS}
API_THROTTLE_RATES = {"key": "100000/min", "user": "100000/min"}  # the same: tests of it set their own
SIGNING_SECRET_ATTEMPTS = 100_000  # the same: wrong passphrases counted per certificate in that cache
