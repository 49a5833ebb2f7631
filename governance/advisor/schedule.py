"""Beat entries of the advisor (merged by governance.celery)."""

SCHEDULE = {
    # Published plans against their promise; missed runs expire instead of piling up.
    "advisor-follow-plans": {
        "task": "advisor.follow_plans",
        "schedule": 60 * 60.0,
        "options": {"expires": 55 * 60},
    },
}
