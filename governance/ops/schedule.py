from django.conf import settings

SCHEDULE = {
    "calls-retention": {
        "task": "governance.ops.tasks.calls_purge_task",
        "schedule": float(settings.GOVERNOR_PURGE_INTERVAL_SECONDS),
        "options": {"expires": 3000},
    },
    "jobs-reap": {
        "task": "governance.ops.tasks.jobs_reap_task",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
}
