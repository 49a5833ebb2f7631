"""Every change to a flag goes through these services; each writes its audit event
(with before and after), bumps the flags version and notifies webhooks ("flag.*")."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from governance.audit.services import actor_label_for, audit_record_and_notify
from governance.core.errors import FieldError
from governance.engine.flag_spec import FlagSpecError, flag_spec_from_dict
from governance.flags.models import Flag, FlagsVersion
from governance.flags.selectors import FLAGS_GENERATION, flags_version
from governance.policies.services import policy_snapshot_rebuild

logger = logging.getLogger("governance.flags")

# Metadata kept beside the spec; editable through flag_update as well.
META_FIELDS = ("description", "owner", "expires_at")
SPEC_FIELDS = (
    "type",
    "enabled",
    "variants",
    "default_variant",
    "off_variant",
    "rules",
    "rollout",
    "schedule",
)
EVALUATION_MARK_RESOLUTION = timedelta(hours=1)


class FlagError(FieldError):
    """A change that cannot be made; `field` names the offending input."""


def flag_state(flag: Flag) -> dict:
    """A flag as its audit events, the admin API and configuration documents show it."""
    return {
        **flag.spec_dict(),
        "description": flag.description,
        "owner": flag.owner,
        "expires_at": flag.expires_at.isoformat() if flag.expires_at else None,
        "archived": flag.archived_at is not None,
    }


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise FlagError("reason", "say why you make this change; it goes into the audit log")
    return reason


def _validated(spec: dict) -> dict:
    try:
        return flag_spec_from_dict(spec).to_dict()
    except FlagSpecError as exc:
        raise FlagError(exc.field, exc.message) from None


def _apply(flag: Flag, spec: dict, meta: dict[str, Any]) -> None:
    flag.flag_type = spec["type"]
    flag.enabled = spec["enabled"]
    flag.variants = spec["variants"]
    flag.default_variant = spec["default_variant"]
    flag.off_variant = spec["off_variant"] or ""
    flag.rules = spec["rules"]
    flag.rollout = spec["rollout"]
    flag.schedule = spec["schedule"]
    for name in META_FIELDS:
        if name in meta:
            setattr(flag, name, meta[name])


def _bump_version() -> None:
    now = timezone.now()
    token = FlagsVersion.new_token()
    updated = FlagsVersion.objects.filter(pk=1).update(
        version=F("version") + 1, token=token, changed_at=now
    )
    if not updated:
        FlagsVersion.objects.update_or_create(
            pk=1, defaults={"version": 1, "token": token, "changed_at": now}
        )
    FLAGS_GENERATION.changed(flags_version())


def _changed(*, flag: Flag, action: str, actor: Any, reason: str, before: dict | None) -> None:
    after = flag_state(flag)
    _bump_version()
    audit_record_and_notify(
        action=action,
        event=action,
        payload={
            "key": flag.key,
            "actor": actor_label_for(actor),
            "reason": reason,
            "before": before,
            "after": after,
        },
        target=flag,
        actor=actor,
        reason=reason,
        before=before,
        after=after,
    )
    logger.info(action, extra={"flag_key": flag.key, "flag_id": flag.pk})
    # Flags are inputs of routing decisions: the policy snapshot follows them.
    transaction.on_commit(policy_snapshot_rebuild)


def flag_create(
    *,
    key: str,
    variants: dict,
    default_variant: str,
    actor: Any,
    reason: str,
    flag_type: str = "boolean",
    enabled: bool = False,
    off_variant: str | None = None,
    rules: list | None = None,
    rollout: list | None = None,
    schedule: dict | None = None,
    description: str = "",
    owner: str = "",
    expires_at: datetime | None = None,
) -> Flag:
    reason = _require_reason(reason)
    spec = _validated(
        {
            "key": key,
            "type": flag_type,
            "enabled": enabled,
            "variants": variants,
            "default_variant": default_variant,
            "off_variant": off_variant,
            "rules": rules or [],
            "rollout": rollout or [],
            "schedule": schedule,
        }
    )
    with transaction.atomic():
        if Flag.objects.filter(key=key).exists():
            raise FlagError("key", f"a flag named {key!r} already exists")
        now = timezone.now()
        flag = Flag(key=key, created_at=now, updated_at=now)
        _apply(flag, spec, {"description": description, "owner": owner, "expires_at": expires_at})
        flag.save()
        _changed(flag=flag, action="flag.created", actor=actor, reason=reason, before=None)
    return flag


def flag_update(*, flag: Flag, actor: Any, reason: str, **changes: Any) -> Flag:
    """Change any of the spec fields (type, enabled, variants, default_variant,
    off_variant, rules, rollout, schedule) and metadata (description, owner, expires_at).
    The key never changes: clients and policies refer to it."""
    reason = _require_reason(reason)
    if "flag_type" in changes:
        changes["type"] = changes.pop("flag_type")
    unknown = set(changes) - set(SPEC_FIELDS) - set(META_FIELDS)
    if unknown:
        raise FlagError(sorted(unknown)[0], "cannot be changed")
    with transaction.atomic():
        flag = Flag.objects.select_for_update().get(pk=flag.pk)
        before = flag_state(flag)
        spec = _validated(
            {**flag.spec_dict(), **{k: v for k, v in changes.items() if k in SPEC_FIELDS}}
        )
        _apply(flag, spec, {k: v for k, v in changes.items() if k in META_FIELDS})
        if flag_state(flag) == before:
            return flag
        flag.updated_at = timezone.now()
        flag.save()
        _changed(flag=flag, action="flag.updated", actor=actor, reason=reason, before=before)
    return flag


def flag_toggle(*, flag: Flag, enabled: bool, actor: Any, reason: str) -> Flag:
    """The kill switch: turn a flag on or off."""
    reason = _require_reason(reason)
    with transaction.atomic():
        flag = Flag.objects.select_for_update().get(pk=flag.pk)
        if flag.enabled == enabled:
            return flag
        before = flag_state(flag)
        flag.enabled = enabled
        flag.updated_at = timezone.now()
        flag.save(update_fields=["enabled", "updated_at"])
        _changed(flag=flag, action="flag.toggled", actor=actor, reason=reason, before=before)
    return flag


def flag_archive(*, flag: Flag, actor: Any, reason: str) -> Flag:
    """Retire a flag: turned off, out of every snapshot, kept with its history.
    Its key stays taken, so a client asking for it meets FLAG_NOT_FOUND."""
    reason = _require_reason(reason)
    with transaction.atomic():
        flag = Flag.objects.select_for_update().get(pk=flag.pk)
        if flag.archived_at is not None:
            return flag
        before = flag_state(flag)
        flag.enabled = False
        flag.archived_at = flag.updated_at = timezone.now()
        flag.save(update_fields=["enabled", "archived_at", "updated_at"])
        _changed(flag=flag, action="flag.archived", actor=actor, reason=reason, before=before)
    return flag


_marked: dict[str, datetime] = {}


def flags_mark_evaluated(*, keys: Iterable[str], now: datetime) -> None:
    """Remember that flags were evaluated, for staleness only.

    At most one write per flag per hour and process: evaluation is the hot
    path and this is not a change anybody audits.
    """
    due = [k for k in keys if k not in _marked or now - _marked[k] >= EVALUATION_MARK_RESOLUTION]
    if not due:
        return
    cutoff = now - EVALUATION_MARK_RESOLUTION
    Flag.objects.filter(key__in=due).filter(
        Q(last_evaluated_at__isnull=True) | Q(last_evaluated_at__lt=cutoff)
    ).update(last_evaluated_at=now)
    for key in due:
        _marked[key] = now
