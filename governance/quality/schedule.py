"""Beat entries of the quality app (merged by governance.celery)."""

SCHEDULE = {
    # Runs missed while workers were down expire instead of piling up.
    "quality-check-regressions": {
        "task": "quality.check_regressions",
        "schedule": 15 * 60.0,
        "options": {"expires": 14 * 60},
    },
    # Calls may be logged after their tests were reported; link them for cost per passing test.
    "quality-resolve-call-links": {
        "task": "quality.resolve_call_links",
        "schedule": 5 * 60.0,
        "options": {"expires": 4 * 60},
    },
    # The days whose runs changed, counted again for the routing advisor.
    "quality-refresh-job-steps": {
        "task": "quality.refresh_job_steps",
        "schedule": 5 * 60.0,
        "options": {"expires": 4 * 60},
    },
}
