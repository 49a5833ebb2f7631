"""Load a realistic demo organisation: `python manage.py load_demo`.

Each app contributes its own demo data through `governance/<app>/demo.py`,
which defines `load(*, rng, now, out)` and must be safe to run again (it
leaves data it already created in place). Apps load in the order below,
because budgets and policies read the calls and flags loaded before them.
"""

from __future__ import annotations

import importlib
import random
import secrets

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
    help = "Load the demo organisation (teams, clients, 30 days of calls, ...) and the demo users."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=7, help="random seed, for a reproducible data set"
        )

    def handle(self, *args, seed: int, **options):
        rng = random.Random(seed)
        now = timezone.now()
        for app in DEMO_APPS:
            try:
                module = importlib.import_module(f"governance.{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"governance.{app}.demo":
                    raise
                continue
            self.stdout.write(f"demo: loading {app}")
            module.load(rng=rng, now=now, out=self.stdout)
        self._users()

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
