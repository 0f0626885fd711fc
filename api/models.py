"""API keys of facilities' software, and the first response of each idempotent POST."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """A key for one piece of software, acting in one role: of a facility (clinic staff, signer),
    of a province (its health officer: the province's figures and records) or of the Ministry
    (the nation's figures). Each is made and revoked by staff of that same facility, province or
    the Ministry.

    Only the SHA-256 of the token is stored; the token is shown once, at creation. The key acts
    through its own user (``user``, with a profile of the key's role and facility), so every
    service, scope rule and audit row treats it as it treats staff: the audit names the key.
    """

    class KeyRole(models.TextChoices):
        CLINIC_STAFF = "clinic_staff", _("Clinic staff")
        SIGNER = "signer", _("Signer")
        PROVINCIAL_OFFICER = "provincial_officer", _("Provincial health officer")
        MINISTRY_ANALYST = "ministry_analyst", _("Ministry analyst")

    name = models.CharField(_("name"), max_length=100)
    facility = models.ForeignKey("records.Facility", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="api_keys")
    province = models.ForeignKey("records.Province", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="api_keys")
    role = models.CharField(_("role"), max_length=20, choices=KeyRole.choices)
    prefix = models.CharField(max_length=12, unique=True)  # the token's public part, for look-up
    token_hash = models.CharField(max_length=64)  # hex SHA-256 of the whole token
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [models.CheckConstraint(name="api_key_scope_matches_role", condition=(
            models.Q(role__in=["clinic_staff", "signer"], facility__isnull=False, province__isnull=True)
            | models.Q(role="provincial_officer", facility__isnull=True, province__isnull=False)
            | models.Q(role="ministry_analyst", facility__isnull=True, province__isnull=True)))]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class IdempotentRequest(models.Model):
    """One (caller, Idempotency-Key) pair: claimed by the first request in the same transaction as
    its writes, so a concurrent copy waits on the unique index and then replays what is stored."""

    owner = models.CharField(max_length=40)  # "key:<id>" or "user:<id>"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    headers = models.JSONField(default=dict)  # Location, ETag
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotent_request_once")]
