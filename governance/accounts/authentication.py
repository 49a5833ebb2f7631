"""API-key authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from governance.accounts.models import ApiKey, Client, Team
from governance.accounts.services import api_key_lookup

# last_used_at is informative; writing it on every request would put a row
# update on the hot path of ingestion and decisions.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ClientPrincipal:
    """`request.user` for a request made with an API key."""

    client: Client
    team: Team
    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = False
    is_staff: bool = False

    def get_username(self) -> str:
        return f"client:{self.client.name}"

    def __str__(self) -> str:
        return self.get_username()


def raw_key_from_headers(meta: dict) -> str | None:
    header = meta.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    value = meta.get("HTTP_X_API_KEY", "").strip()
    return value or None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        meta = request.META
        if not meta.get("HTTP_AUTHORIZATION") and not meta.get("HTTP_X_API_KEY"):
            return None  # let session authentication try
        raw = raw_key_from_headers(meta)
        if raw is None:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header; expected 'Bearer <key>'."
            )
        key = api_key_lookup(raw_key=raw)
        now = timezone.now()
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if key.revoked_at is not None and key.revoked_at <= now:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if key.expires_at is not None and key.expires_at <= now:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return ClientPrincipal(client=key.client, team=key.client.team), key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="governor"'
