from django.apps import AppConfig


class AdvisorConfig(AppConfig):
    name = "governance.advisor"
    label = "advisor"
    verbose_name = "Routing advisor"
