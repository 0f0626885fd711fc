from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "signing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # A correction of a signed record supersedes its signatures (records/supersession.py
        # says why records emits this instead of importing signing). Imported here, not at
        # the top: models cannot be imported before the app registry is ready.
        from records.supersession import react_to_signed_version_replaced  # noqa: PLC0415 - ready()
        from signing.services import signatures_supersede  # noqa: PLC0415 - ready()

        react_to_signed_version_replaced(signatures_supersede)
