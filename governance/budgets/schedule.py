SCHEDULE = {
    "budgets-evaluate": {
        "task": "governance.budgets.tasks.budgets_evaluate_task",
        "schedule": 60.0,
        # A run missed while workers were down expires instead of piling up.
        "options": {"expires": 50},
    },
}
