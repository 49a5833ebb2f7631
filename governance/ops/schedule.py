from django.conf import settings

SCHEDULE = {
    "calls-retention": {
        "task": "governance.ops.tasks.calls_purge_task",
        "schedule": float(settings.GOVERNOR_PURGE_INTERVAL_SECONDS),
        "options": {"expires": 3000},
    },
    "jobs-requeue-stalled": {
        "task": "governance.ops.tasks.jobs_requeue_stalled_task",
        "schedule": float(settings.GOVERNOR_JOB_REQUEUE_INTERVAL_SECONDS),
        "options": {"expires": max(1, settings.GOVERNOR_JOB_REQUEUE_INTERVAL_SECONDS - 1)},
    },
    "jobs-reap": {
        "task": "governance.ops.tasks.jobs_reap_task",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
}
