from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "governance.flags"
    label = "flags"
    default_auto_field = "django.db.models.BigAutoField"
