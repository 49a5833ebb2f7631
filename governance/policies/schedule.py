SCHEDULE = {
    "policies-model-health": {
        "task": "governance.policies.tasks.model_health_evaluate_task",
        "schedule": 60.0,
    },
    "policies-snapshot-refresh": {
        "task": "governance.policies.tasks.policy_snapshot_refresh_task",
        "schedule": 30.0,
    },
}
