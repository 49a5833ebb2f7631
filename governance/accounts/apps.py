from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "governance.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from governance.accounts import schema  # noqa: F401 - registers the OpenAPI auth scheme
        from governance.accounts.lockouts import lockout_audit

        # django-axes tells of a lockout only through this signal.
        user_locked_out.connect(lockout_audit, dispatch_uid="governance.accounts.lockout_audit")
