from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Vaccination certificates")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # A correction of a signed record revokes the certificates built on it, in the
        # correction's transaction (records/supersession.py says why records emits this).
        # Imported here: models cannot be imported before the app registry is ready.
        from certificates.services import certificates_revoke_for_record  # noqa: PLC0415 - ready()
        from records.supersession import react_to_signed_version_replaced  # noqa: PLC0415 - ready()

        react_to_signed_version_replaced(certificates_revoke_for_record)
