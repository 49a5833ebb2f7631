"""Reads for accounts: whose data a caller may read, and whether the keys a
process remembers are still as it remembers them."""

from __future__ import annotations

from dataclasses import dataclass

from governance.accounts.models import ApiKey, ApiKeysVersion, Team
from governance.core.errors import FieldError
from governance.core.freshness import HostGeneration


def api_keys_generation() -> int:
    row = ApiKeysVersion.objects.filter(pk=1).values_list("generation", flat=True).first()
    return row or 0


# Moves on with every revocation (governance.core.freshness): checked on every
# request to the decision endpoints, at once for a revocation made on the same
# machine, and within `shared_every` seconds for one made on another.
API_KEYS_GENERATION = HostGeneration(
    "accounts:api-keys", read=api_keys_generation, shared_every=0.5
)


class TeamUnknown(FieldError):
    """A `team` parameter naming no team."""


@dataclass(frozen=True)
class TeamScope:
    """The teams whose data one request may read: one team, or every team."""

    team: Team | None  # None: every team

    @property
    def team_id(self) -> int | None:
        return None if self.team is None else self.team.pk

    @property
    def team_ids(self) -> list[int] | None:
        return None if self.team is None else [self.team.pk]


def team_scope(*, auth: object, team_slug: str | None) -> TeamScope:
    """The scope of a request that passed `IsReaderOrApiKey`.

    An API key reads its own team, whatever `team_slug` says: a parameter can
    neither widen nor move a key's scope, so `team` is a reader's filter.
    A manager or admin reads every team, or the one `team_slug` names.
    """
    if isinstance(auth, ApiKey):
        return TeamScope(team=auth.client.team)
    if not team_slug:
        return TeamScope(team=None)
    team = Team.objects.filter(slug=team_slug).first()
    if team is None:
        raise TeamUnknown("team", f"no team {team_slug!r}")
    return TeamScope(team=team)
