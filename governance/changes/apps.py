from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """Change control: the admin API, configuration as code and four-eyes approval."""

    name = "governance.changes"
    label = "changes"
    default_auto_field = "django.db.models.BigAutoField"
