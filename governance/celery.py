"""The Celery app. Loaded by GovernanceConfig.ready(), so Django is set up first.

Periodic work is declared next to the code it runs: each app may have a
`schedule.py` with a `SCHEDULE` dict in Celery's beat_schedule format; they are
merged here so no app edits another's entries.
"""

import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

app = Celery("governance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def collect_beat_schedule() -> dict:
    from django.apps import apps as django_apps

    schedule: dict = {}
    for config in django_apps.get_app_configs():
        if not config.name.startswith("governance."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.schedule")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedule":
                raise
            continue
        schedule.update(module.SCHEDULE)
    return schedule


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **_: object) -> None:
    sender.conf.beat_schedule = {**collect_beat_schedule(), **(sender.conf.beat_schedule or {})}
