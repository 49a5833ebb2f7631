from governance.core.env import env_int

SCHEDULE = {
    "calls-retention": {
        "task": "governance.ops.tasks.calls_purge_task",
        # Hourly by default; each run deletes in short batches.
        "schedule": float(env_int("GOVERNOR_PURGE_INTERVAL_SECONDS", 3600, minimum=1)),
        "options": {"expires": 3000},
    },
    "jobs-reap": {
        "task": "governance.ops.tasks.jobs_reap_task",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
}
