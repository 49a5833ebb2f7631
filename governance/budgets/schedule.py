SCHEDULE = {
    "budgets-evaluate": {
        "task": "governance.budgets.tasks.budgets_evaluate_task",
        "schedule": 60.0,
    },
}
