from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """The project package itself: project-wide commands (load_demo) and Celery."""

    name = "governance"
    verbose_name = "Governor"

    def ready(self) -> None:
        # Importing the Celery app here (not in governance/__init__.py) makes it the
        # current app for every shared_task, while `governance.client` stays importable
        # without Django or Celery installed.
        from governance import celery  # noqa: F401
