from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Governor in production: health, metrics, logs, limits, retention."""

    name = "governance.ops"
    label = "ops"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Task outcome counters hang off Celery's signals, so every app's tasks
        # are counted without each task knowing about metrics.
        from governance.core.metrics import register_state_reader
        from governance.ops import signals  # noqa: F401
        from governance.ops.state import budget_state, flags_state, jobs_state, policy_state

        for reader in (flags_state, policy_state, budget_state, jobs_state):
            register_state_reader(reader)
