from .base import *  # noqa: F401,F403
from .base import CACHES

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
