"""Who a user is in the procedure: one role, bound to one facility, ward, province or the nation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLINIC_STAFF = "clinic_staff", _("Clinic staff")
    COMMUNE_POLICE = "commune_police", _("Commune police")
    SIGNER = "signer", _("Signer")
    PROVINCIAL_OFFICER = "provincial_officer", _("Provincial health officer")
    MINISTRY_ANALYST = "ministry_analyst", _("Ministry analyst")


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    facility = models.ForeignKey(
        "records.Facility", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    ward = models.ForeignKey(
        "records.Ward", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    province = models.ForeignKey(
        "records.Province", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    phone = models.CharField(_("phone"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")
        constraints = [
            models.CheckConstraint(
                name="profile_scope_matches_role",
                condition=(
                    models.Q(role="clinic_staff", facility__isnull=False)
                    | models.Q(role="commune_police", ward__isnull=False)
                    | models.Q(role="signer", facility__isnull=False)
                    | models.Q(role="signer", ward__isnull=False)
                    | models.Q(role="provincial_officer", province__isnull=False)
                    | models.Q(role="ministry_analyst")
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


def person_words(user) -> str:
    """A user as a reader names them: their full name (the user name when they have none) and
    their role in the active language, "Nguyễn Văn An (Commune police)"; "" for no user."""
    if user is None:
        return ""
    profile = getattr(user, "profile", None)
    name = user.get_full_name() or user.username
    if profile is None:
        return name
    return gettext("%(who)s (%(role)s)") % {"who": name, "role": profile.get_role_display()}
