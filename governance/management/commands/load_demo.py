"""Load a realistic demo organisation: `python manage.py load_demo`.

Each app contributes its own demo data through `governance/<app>/demo.py`,
which defines `load(*, rng, now, out)` and must be safe to run again (it
leaves data it already created in place). Apps load in the order below,
because budgets and policies read the calls and flags loaded before them.
"""

from __future__ import annotations

import importlib
import logging
import random
import secrets
import time
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from governance.accounts import roles

DEMO_APPS = (
    "accounts",
    "catalog",
    "calls",
    "quality",
    "flags",
    "budgets",
    "policies",
    "audit",
    "dashboard",
)


class Command(BaseCommand):
    help = "Load the demo organisation (teams, clients, 90 days of calls, ...) and the demo users."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=7, help="random seed, for a reproducible data set"
        )

    def handle(self, *args, seed: int, verbosity: int = 1, **options):
        rng = random.Random(seed)
        now = timezone.now()
        started = time.monotonic()
        modules = []
        for app in DEMO_APPS:
            try:
                modules.append((app, importlib.import_module(f"governance.{app}.demo")))
            except ModuleNotFoundError as exc:
                if exc.name != f"governance.{app}.demo":
                    raise
        with _quiet_events(verbosity):
            for number, (app, module) in enumerate(modules, start=1):
                step_started = time.monotonic()
                self.stdout.write(f"demo: [{number}/{len(modules)}] {app}")
                module.load(rng=rng, now=now, out=self.stdout)
                self.stdout.write(f"  done in {time.monotonic() - step_started:.1f} s")
        self._users()
        self.stdout.write(f"demo: loaded in {time.monotonic() - started:.0f} s")

    @transaction.atomic
    def _users(self) -> None:
        password = settings.DEMO_PASSWORD
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        for username, group in (("admin", roles.ADMIN_GROUP), ("manager", roles.MANAGER_GROUP)):
            user, created = User.objects.get_or_create(username=username)
            if created or not generated:
                user.set_password(password)
                user.save()
                self.stdout.write(f"demo: user {username!r} password: {password}")
            else:
                self.stdout.write(
                    f"demo: user {username!r} kept its password (set DEMO_PASSWORD to change it)"
                )
            user.groups.add(Group.objects.get(name=group))


# Each demo object's audit and snapshot events, and each eager task's line,
# would bury the progress lines; the audit log keeps the events.
QUIETED = ("governance", "celery")


@contextmanager
def _quiet_events(verbosity: int):
    """Warnings and errors only while loading; `-v 2` shows every event."""
    if verbosity >= 2:
        yield
        return
    loggers = [logging.getLogger(name) for name in QUIETED]
    previous = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, previous, strict=True):
            logger.setLevel(level)
