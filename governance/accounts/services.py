from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.accounts.models import ApiKey, ApiKeysVersion, Client, Scope, Team
from governance.accounts.selectors import API_KEYS_GENERATION
from governance.audit.selectors import audit_event_recorded_since
from governance.audit.services import audit_record
from governance.core.freshness import generation_new

KEY_PREFIX = "gov"


@dataclass(frozen=True)
class IssuedKey:
    """The one moment the raw key exists outside the caller's hands."""

    api_key: ApiKey
    raw_key: str


def _hash_key(raw_key: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is enough: there is
    # nothing to brute-force the way there is with a password.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _split_key(raw_key: str) -> str | None:
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def scopes_parse(*, scopes: Iterable[str]) -> list[str]:
    valid = set(Scope.values)
    cleaned = sorted({s.strip() for s in scopes if s.strip()})
    unknown = [s for s in cleaned if s not in valid]
    if unknown or not cleaned:
        raise ValueError(
            f"scopes must be a non-empty subset of {sorted(valid)}; unknown: {unknown}"
        )
    return cleaned


def team_create(*, slug: str, name: str = "", store_prompts: bool = False, actor=None) -> Team:
    with transaction.atomic():
        team = Team.objects.create(slug=slug, name=name or slug, store_prompts=store_prompts)
        audit_record(
            action="team.create",
            target=team,
            actor=actor,
            after={"slug": slug, "store_prompts": store_prompts},
            team=team,
        )
    return team


def client_create(*, team: Team, name: str, description: str = "", actor=None) -> Client:
    with transaction.atomic():
        client = Client.objects.create(team=team, name=name, description=description)
        audit_record(
            action="client.create", target=client, actor=actor, after={"name": name}, team=team
        )
    return client


def api_key_issue(
    *,
    client: Client,
    scopes: Iterable[str],
    name: str = "",
    expires_at: datetime | None = None,
    actor=None,
) -> IssuedKey:
    cleaned = scopes_parse(scopes=scopes)
    prefix = secrets.token_hex(6)
    raw_key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            client=client,
            name=name,
            prefix=prefix,
            hashed_key=_hash_key(raw_key),
            scopes=cleaned,
            expires_at=expires_at,
        )
        audit_record(
            action="api_key.issue",
            target=key,
            actor=actor,
            after={
                "prefix": prefix,
                "scopes": cleaned,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
            team=client.team,
        )
    return IssuedKey(api_key=key, raw_key=raw_key)


def api_key_revoke(*, api_key: ApiKey, actor=None, reason: str = "") -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().select_related("client__team").get(pk=api_key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            _api_keys_changed()
            audit_record(
                action="api_key.revoke",
                target=key,
                actor=actor,
                reason=reason,
                before={"revoked_at": None},
                after={"revoked_at": key.revoked_at.isoformat()},
                team=key.client.team,
            )
    return key


def _api_keys_changed() -> None:
    """Tell every process that keys it remembers may have been revoked."""
    generation = generation_new()
    updated = ApiKeysVersion.objects.filter(pk=1).update(generation=generation)
    if not updated:
        ApiKeysVersion.objects.update_or_create(pk=1, defaults={"generation": generation})
    API_KEYS_GENERATION.changed(generation)


def api_key_lookup(*, raw_key: str) -> ApiKey | None:
    """The key matching `raw_key`, revoked or not, or None. Constant-time on the hash."""
    prefix = _split_key(raw_key)
    if prefix is None:
        return None
    key = ApiKey.objects.select_related("client__team").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.hashed_key, _hash_key(raw_key)):
        return None
    return key


def login_lockout_record(*, username: str, ip_address: str | None) -> bool:
    """Audit that sign-in is locked for `username` or `ip_address` after
    repeated failures. Once per lockout: the throttle reports every refused
    attempt while it lasts. Returns whether an event was written."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    if audit_event_recorded_since(
        action="login.locked_out",
        target_type="auth.user",
        target_id=username[:64],
        since=since,
        after={"ip_address": ip_address},
    ):
        return False
    audit_record(
        action="login.locked_out",
        target_type="auth.user",
        target_id=username[:64],
        actor="system:login-throttle",
        after={"ip_address": ip_address, "failure_limit": settings.AXES_FAILURE_LIMIT},
    )
    return True
