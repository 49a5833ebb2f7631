"""Demo teams and routing clients."""

from __future__ import annotations

from governance.accounts.models import Client, Team
from governance.accounts.services import client_create, team_create

TEAMS = {
    "payments": ("Payments", True, ["ci-runner", "ide-fleet", "release-bot"]),
    "search": ("Search", False, ["ci-runner", "ide-fleet"]),
    "platform": ("Platform", True, ["ci-runner", "cli", "review-bot"]),
    "mobile": ("Mobile", False, ["ci-runner", "ide-fleet"]),
}


def load(*, rng, now, out) -> None:
    actor = "system:demo"
    for slug, (name, store_prompts, clients) in TEAMS.items():
        team = Team.objects.filter(slug=slug).first() or team_create(
            slug=slug, name=name, store_prompts=store_prompts, actor=actor
        )
        for client_name in clients:
            if not Client.objects.filter(team=team, name=client_name).exists():
                client_create(team=team, name=client_name, actor=actor)
    out.write(f"  {Team.objects.count()} teams, {Client.objects.count()} clients")
