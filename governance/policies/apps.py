from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "governance.policies"
    label = "policies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from governance.policies import schema  # noqa: F401 - registers the OpenAPI auth scheme
