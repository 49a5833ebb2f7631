from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "governance.quality"
    label = "quality"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The quality roll-up counts the cost of calls linked to test runs, so
        # it follows their re-pricing and deletion; the roll-ups app tells it,
        # inside the transaction that changes the calls.
        from governance.quality.services import (
            quality_rollup_calls_deleted,
            quality_rollup_calls_repriced,
        )
        from governance.rollups.services import rollups_listen

        rollups_listen(repriced=quality_rollup_calls_repriced, deleted=quality_rollup_calls_deleted)
