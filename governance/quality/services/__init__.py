"""Writes of the quality app, one module per job: test runs (runs), the
quality roll-up (rollup) and regression alerts (regressions)."""

from governance.quality.services.regressions import (
    EVENT_ALERT_CLEARED,
    EVENT_ALERT_RAISED,
    REGRESSION_ACTOR,
    RegressionCheckSummary,
    quality_alert_raise,
    quality_regressions_check,
)
from governance.quality.services.rollup import (
    job_steps_refresh,
    quality_rollup_calls_deleted,
    quality_rollup_calls_repriced,
    quality_rollup_rebuild,
)
from governance.quality.services.runs import (
    BatchRecorded,
    SuiteRunInput,
    SuiteRunRecorded,
    suite_run_links_resolve,
    suite_run_record,
    suite_runs_batch_record,
    suite_runs_import,
)

__all__ = [
    "BatchRecorded",
    "EVENT_ALERT_CLEARED",
    "EVENT_ALERT_RAISED",
    "REGRESSION_ACTOR",
    "RegressionCheckSummary",
    "SuiteRunInput",
    "SuiteRunRecorded",
    "job_steps_refresh",
    "quality_alert_raise",
    "quality_regressions_check",
    "quality_rollup_calls_deleted",
    "quality_rollup_calls_repriced",
    "quality_rollup_rebuild",
    "suite_run_links_resolve",
    "suite_run_record",
    "suite_runs_batch_record",
    "suite_runs_import",
]
