from django.apps import AppConfig
from django.contrib.auth.signals import user_login_failed


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Django's and django-axes' hooks are the one place every failed authenticate() passes
        # (log-in page, admin, the API's basic auth), so the audit listens there.
        from axes.signals import user_locked_out  # noqa: PLC0415 - axes' signals need the app registry

        from accounts.login import audit_locked_out, audit_login_failed  # noqa: PLC0415 - models ready

        user_login_failed.connect(audit_login_failed, dispatch_uid="accounts.audit_login_failed")
        user_locked_out.connect(audit_locked_out, dispatch_uid="accounts.audit_locked_out")
