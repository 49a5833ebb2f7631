"""Writes for change control. Every change the admin API, `governor config
apply` and the change-request pages make goes through `change_make`, which
checks the version the caller saw (If-Match), and either applies the change
through the owning app's service or, with four-eyes on, files it as a change
request that another admin approves (applying it through that same service)
or rejects. Configuration documents are applied here, all or nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from governance.accounts.models import Team
from governance.advisor.services import tolerance_parse, tolerance_remove, tolerance_set
from governance.audit.services import actor_label_for, audit_record_and_notify, webhooks_dispatch
from governance.budgets.models import Budget
from governance.budgets.services import EDITABLE_FIELDS, budget_save
from governance.changes.models import ChangeControl, ChangeKind, ChangeRequest, ChangeStatus
from governance.changes.selectors import (
    DOCUMENT_FORMAT,
    FLAG_FIELDS,
    ORGANISATION,
    budget_fields,
    budget_name,
    budget_version,
    config_export,
    config_version,
    decimal_text,
    flag_version,
    policy_version,
    tolerance_text,
    tolerance_version,
    tolerances,
)
from governance.changes.wording import (
    document_changes,
    fields_changed,
    policy_changed,
    tolerances_changed,
)
from governance.core.errors import FieldError
from governance.core.freshness import etag_matches
from governance.engine.flag_spec import FlagSpecError, flag_spec_from_dict
from governance.flags.models import Flag
from governance.flags.services import (
    SPEC_FIELDS,
    flag_archive,
    flag_create,
    flag_state,
    flag_toggle,
    flag_update,
)
from governance.policies.models import PolicyVersion
from governance.policies.selectors import policy_current
from governance.policies.services import (
    PolicyInvalid,
    policy_check,
    policy_publish,
    policy_rollback,
)

logger = logging.getLogger("governance.changes")

DECIMAL_FIELDS = ("limit", "fallback_threshold_pct", "reserve_pct")
# What a budget's admin may set besides its name (named last in an error).
BUDGET_FIELDS = tuple(f for f in EDITABLE_FIELDS if f != "name")


class ChangeRefused(FieldError):
    """A change request that cannot be decided as asked (`field` says why)."""


class VersionConflict(Exception):
    """The caller's If-Match names a version that is no longer current."""

    def __init__(self, current: str) -> None:
        super().__init__(f"the current version is {current}")
        self.current = current


def reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", "say why you make this change; it goes into the audit log")
    return reason


# --- parsing what the admin API and documents send -----------------------------------


def _decimal(field: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise FieldError(field, "must be a number, such as 1000 or 92.5")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise FieldError(field, "must be a number, such as 1000 or 92.5") from None
    if not number.is_finite():
        raise FieldError(field, "must be a finite number")
    return number


def _datetime(field: str, value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise FieldError(
            field, "must be an ISO 8601 date and time, such as 2026-12-31T00:00:00+00:00"
        ) from None
    if moment.tzinfo is None:
        raise FieldError(field, "must carry a time zone offset (Z or +00:00)")
    return moment


def budget_values(values: Any, *, prefix: str = "") -> dict[str, Any]:
    """What a caller sends for a budget, as `budget_save` takes it (Decimals)."""
    if not isinstance(values, dict):
        raise FieldError(prefix.rstrip(".") or "budget", "must be a JSON object")
    allowed = (*BUDGET_FIELDS, "name")
    out: dict[str, Any] = {}
    for field, value in values.items():
        if field not in allowed:
            raise FieldError(prefix + field, f"unknown field; expected one of {', '.join(allowed)}")
        out[field] = _decimal(prefix + field, value) if field in DECIMAL_FIELDS else value
    return out


def flag_changes(values: Any, *, prefix: str = "") -> dict[str, Any]:
    """What a caller sends to change a flag, as `flag_update` takes it."""
    if not isinstance(values, dict):
        raise FieldError(prefix.rstrip(".") or "flag", "must be a JSON object")
    out: dict[str, Any] = {}
    for field, value in values.items():
        if field not in FLAG_FIELDS:
            raise FieldError(
                prefix + field, f"unknown field; expected one of {', '.join(FLAG_FIELDS)}"
            )
        out[field] = _datetime(prefix + field, value) if field == "expires_at" else value
    return out


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Decimals and datetimes as documents spell them, at any depth of a dict."""
    return {
        k: decimal_text(v)
        if isinstance(v, Decimal)
        else v.isoformat()
        if isinstance(v, datetime)
        else _json_safe(v)
        if isinstance(v, dict)
        else v
        for k, v in values.items()
    }


# --- configuration documents ------------------------------------------------------


def _flag_document(key: str, values: Any, current: dict[str, Any] | None) -> dict[str, Any]:
    prefix = f"flags.{key}."
    given = flag_changes(values, prefix=prefix)
    merged = {**(current or {}), **_json_safe(given)}
    try:
        spec = flag_spec_from_dict(
            {"key": key, **{f: merged.get(f) for f in SPEC_FIELDS}}
        ).to_dict()
    except FlagSpecError as exc:
        raise FieldError(prefix + exc.field, exc.message) from None
    spec.pop("key")
    return {
        **spec,
        "description": str(merged.get("description") or ""),
        "owner": str(merged.get("owner") or ""),
        "expires_at": merged.get("expires_at"),
    }


def tolerance_value(field: str, value: Any) -> str:
    """A tolerance as documents and change requests spell it ("0.5"), checked
    by the advisor's own rule (0 to its maximum, two decimals at most)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise FieldError(field, "must be a number of percentage points, such as 0.5")
    return tolerance_text(tolerance_parse(value, field=field))


def _team(slug: str, field: str) -> Team:
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise FieldError(field, f"there is no team {slug!r}")
    return team


def _tolerances_document(values: Any) -> dict[str, str | None]:
    """`{"organisation": "1.0", "payments": "0.5", "search": null}`: null removes
    a team's override (the organisation's tolerance applies to it again)."""
    if not isinstance(values, dict):
        raise FieldError("tolerances", "must be a JSON object keyed by organisation or team")
    parsed: dict[str, str | None] = {}
    for name, value in sorted(values.items()):
        field = f"tolerances.{name}"
        if name != ORGANISATION:
            _team(name, field)
        if value is None:
            if name == ORGANISATION:
                raise FieldError(field, "the organisation always has a tolerance; give a number")
            parsed[name] = None
        else:
            parsed[name] = tolerance_value(field, value)
    return parsed


def config_parse(document: Any) -> dict[str, Any]:
    """Check a configuration document and spell it as `config_export` does, so
    that equal configurations compare equal. Raises FieldError naming the field
    (`flags.peak-hours.schedule`, `budgets.payments/Monthly.limit`, `policy`,
    `tolerances.payments`)."""
    if not isinstance(document, dict):
        raise FieldError(
            "document", "must be a JSON object with policy, flags, budgets and tolerances"
        )
    unknown = sorted(set(document) - {"format", "policy", "flags", "budgets", "tolerances"})
    if unknown:
        raise FieldError(
            unknown[0], "unknown section; expected format, policy, flags, budgets, tolerances"
        )
    if document.get("format", DOCUMENT_FORMAT) != DOCUMENT_FORMAT:
        raise FieldError("format", f"this Governor reads format {DOCUMENT_FORMAT}")
    current = config_export()
    parsed: dict[str, Any] = {"format": DOCUMENT_FORMAT}
    if document.get("policy") is not None:
        errors = policy_check(document=document["policy"])
        if errors:
            raise FieldError("policy", errors[0])
        parsed["policy"] = document["policy"]
    flags = document.get("flags") or {}
    if not isinstance(flags, dict):
        raise FieldError("flags", "must be a JSON object keyed by flag key")
    parsed["flags"] = {
        key: _flag_document(key, values, current["flags"].get(key))
        for key, values in sorted(flags.items())
    }
    budgets = document.get("budgets") or {}
    if not isinstance(budgets, dict):
        raise FieldError("budgets", "must be a JSON object keyed by team/name")
    parsed["budgets"] = {}
    for name, values in sorted(budgets.items()):
        prefix = f"budgets.{name}."
        team, _, budget = name.partition("/")
        if not budget:
            raise FieldError(f"budgets.{name}", "name budgets as team/name (or organisation/name)")
        if team != ORGANISATION and not Team.objects.filter(slug=team).exists():
            raise FieldError(f"budgets.{name}", f"there is no team {team!r}")
        given = budget_values(values, prefix=prefix)
        if "name" in given:
            raise FieldError(prefix + "name", "the name is the document's key")
        parsed["budgets"][name] = {**(current["budgets"].get(name) or {}), **_json_safe(given)}
    parsed["tolerances"] = _tolerances_document(document.get("tolerances") or {})
    return parsed


def config_diff(*, document: Any) -> list[str]:
    """What applying `document` would change, in words ([] for nothing)."""
    return document_changes(config_export(), config_parse(document))


def _budget_by_name(name: str) -> Budget | None:
    team, _, budget = name.partition("/")
    qs = Budget.objects.filter(name=budget)
    return (
        qs.filter(team__isnull=True) if team == ORGANISATION else qs.filter(team__slug=team)
    ).first()


def config_apply(*, document: Any, actor: Any, reason: str) -> list[str]:
    """Apply a configuration document all or nothing, each part through its
    own service (so each change is audited and announced as if made alone).
    Returns what changed, in words; applying the same document again changes
    and records nothing."""
    reason = reason_required(reason)
    with transaction.atomic():
        wanted = config_parse(document)
        current = config_export()
        lines = document_changes(current, wanted)
        if not lines:
            return []
        if "policy" in wanted and wanted["policy"] != current["policy"]:
            policy_publish(document=wanted["policy"], actor=actor, note=reason)
        for key, fields in wanted["flags"].items():
            try:
                _flag_put(key, fields, current["flags"].get(key), actor=actor, reason=reason)
            except FieldError as exc:
                raise FieldError(f"flags.{key}.{exc.field}", exc.message) from None
        for name, values in wanted["budgets"].items():
            if values == current["budgets"].get(name):
                continue
            parsed = budget_values(values, prefix=f"budgets.{name}.")
            team_slug, _, budget_label = name.partition("/")
            existing = _budget_by_name(name)
            try:
                budget_save(
                    team=None if team_slug == ORGANISATION else Team.objects.get(slug=team_slug),
                    budget=existing,
                    actor=actor,
                    reason=reason,
                    name=budget_label,
                    **parsed,
                )
            except ValidationError as exc:
                field, messages = next(iter(exc.message_dict.items()))
                raise FieldError(f"budgets.{name}.{field}", messages[0]) from None
        for name, value in wanted["tolerances"].items():
            if value != current["tolerances"].get(name):
                _tolerance_put(
                    {"team": None if name == ORGANISATION else name, "tolerance_pp": value},
                    actor,
                    reason,
                )
    return lines


def _flag_put(key: str, fields: dict, current: dict | None, *, actor: Any, reason: str) -> None:
    values = flag_changes(fields)
    if current is None:
        if Flag.objects.filter(key=key).exists():
            raise FieldError("key", "an archived flag has this key; choose another")
        flag_create(
            key=key,
            flag_type=values.pop("type"),
            variants=values.pop("variants"),
            default_variant=values.pop("default_variant"),
            actor=actor,
            reason=reason,
            **values,
        )
    elif fields != current:
        changed = {k: v for k, v in values.items() if fields[k] != current.get(k)}
        flag_update(flag=Flag.objects.get(key=key), actor=actor, reason=reason, **changed)


# --- change kinds: how each change is versioned, described and applied ----------------


def _flag(payload: dict) -> Flag:
    flag = Flag.objects.filter(key=payload.get("key")).first()
    if flag is None:
        raise FieldError("key", f"no flag has the key {payload.get('key')!r}")
    return flag


def _budget(payload: dict) -> Budget:
    budget = Budget.objects.select_related("team").filter(pk=int(payload["id"])).first()
    if budget is None:
        raise FieldError("id", f"there is no budget {payload.get('id')!r}")
    return budget


def _policy_document() -> dict | None:
    current = policy_current()
    return current.document if current else None


def _publish(payload: dict, actor: Any, reason: str) -> PolicyVersion:
    try:
        return policy_publish(
            document=payload["document"], actor=actor, note=payload.get("note") or reason
        )
    except PolicyInvalid as exc:
        raise FieldError("document", exc.errors[0]) from None


def _budget_update(payload: dict, actor: Any, reason: str) -> Budget:
    try:
        return budget_save(
            budget=_budget(payload), actor=actor, reason=reason, **budget_values(payload["values"])
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise FieldError(field, messages[0]) from None


def _tolerance_team(payload: dict) -> Team | None:
    slug = payload.get("team")
    return None if slug is None else _team(slug, "team")


def _tolerance_name(payload: dict) -> str:
    return payload.get("team") or ORGANISATION


def _tolerance_put(payload: dict, actor: Any, reason: str) -> None:
    """Through the advisor's own service: set a tolerance, or (None) remove a team's override."""
    team = _tolerance_team(payload)
    if payload["tolerance_pp"] is None:
        if team is None:
            raise FieldError("tolerance_pp", "the organisation always has a tolerance")
        tolerance_remove(team=team, actor=actor, reason=reason)
    else:
        tolerance_set(
            team=team, tolerance_pp=Decimal(payload["tolerance_pp"]), actor=actor, reason=reason
        )


@dataclass(frozen=True)
class Kind:
    target: Callable[[dict], str]
    version: Callable[[dict], str]
    describe: Callable[[dict], list[str]]
    apply: Callable[[dict, Any, str], Any]


def _rollback_describe(payload: dict) -> list[str]:
    earlier = PolicyVersion.objects.filter(number=payload["number"]).first()
    if earlier is None:
        raise FieldError("number", f"there is no policy version {payload['number']}")
    return [f"policy: roll back to version {earlier.number}"] + policy_changed(
        _policy_document(), earlier.document
    )


KINDS: dict[str, Kind] = {
    ChangeKind.POLICY_PUBLISH: Kind(
        target=lambda p: "policy",
        version=lambda p: policy_version(),
        describe=lambda p: policy_changed(_policy_document(), p["document"]) or [],
        apply=_publish,
    ),
    ChangeKind.POLICY_ROLLBACK: Kind(
        target=lambda p: "policy",
        version=lambda p: policy_version(),
        describe=_rollback_describe,
        apply=lambda p, actor, reason: policy_rollback(
            number=p["number"], actor=actor, reason=reason
        ),
    ),
    ChangeKind.FLAG_UPDATE: Kind(
        target=lambda p: f"flag {p['key']}",
        version=lambda p: flag_version(_flag(p)),
        describe=lambda p: fields_changed(f"flag {p['key']}", flag_state(_flag(p)), p["changes"]),
        apply=lambda p, actor, reason: flag_update(
            flag=_flag(p), actor=actor, reason=reason, **flag_changes(p["changes"])
        ),
    ),
    ChangeKind.FLAG_TOGGLE: Kind(
        target=lambda p: f"flag {p['key']}",
        version=lambda p: flag_version(_flag(p)),
        describe=lambda p: fields_changed(
            f"flag {p['key']}", flag_state(_flag(p)), {"enabled": p["enabled"]}
        ),
        apply=lambda p, actor, reason: flag_toggle(
            flag=_flag(p), enabled=p["enabled"], actor=actor, reason=reason
        ),
    ),
    ChangeKind.FLAG_ARCHIVE: Kind(
        target=lambda p: f"flag {p['key']}",
        version=lambda p: flag_version(_flag(p)),
        describe=lambda p: [] if _flag(p).archived_at else [f"flag {p['key']}: archived"],
        apply=lambda p, actor, reason: flag_archive(flag=_flag(p), actor=actor, reason=reason),
    ),
    ChangeKind.BUDGET_UPDATE: Kind(
        target=lambda p: f"budget {budget_name(_budget(p))}",
        version=lambda p: budget_version(_budget(p)),
        describe=lambda p: fields_changed(
            f"budget {budget_name(_budget(p))}",
            {"name": _budget(p).name, **budget_fields(_budget(p))},
            _json_safe(budget_values(p["values"])),
        ),
        apply=_budget_update,
    ),
    ChangeKind.CONFIG_APPLY: Kind(
        target=lambda p: "configuration",
        version=lambda p: config_version(),
        describe=lambda p: config_diff(document=p["document"]),
        apply=lambda p, actor, reason: config_apply(
            document=p["document"], actor=actor, reason=reason
        ),
    ),
    # A tolerance moves quality (how much pass rate the advisor may trade for
    # a saving): under four-eyes it always waits for a second admin.
    ChangeKind.TOLERANCE_SET: Kind(
        target=lambda p: f"tolerance {_tolerance_name(p)}",
        version=lambda p: tolerance_version(_tolerance_team(p)),
        describe=lambda p: tolerances_changed(
            tolerances(), {_tolerance_name(p): p["tolerance_pp"]}
        ),
        apply=_tolerance_put,
    ),
}

# Words about a flag, not its targeting or state: no second admin needed.
FLAG_META = frozenset({"description", "owner", "expires_at"})
# A budget change waits for a second admin only when it moves money: its
# limit or its thresholds. A flag change always does (targeting or state).
BUDGET_GATED_FIELDS = frozenset({"limit", "fallback_threshold_pct", "reserve_pct", "hard_limit"})


@dataclass(frozen=True)
class Outcome:
    """`result` when the change took effect, `request` when it waits (or, for
    an emergency change under four-eyes, the request kept for review)."""

    result: Any = None
    request: ChangeRequest | None = None
    changes: tuple[str, ...] = ()

    @property
    def waiting(self) -> bool:
        return self.request is not None and self.request.status == ChangeStatus.PENDING


class _Rehearsal(Exception):
    """Raised to roll back a change applied only to see that it can be."""


def _rehearse(kind: Kind, payload: dict, actor: Any, reason: str) -> None:
    """Apply the change in a savepoint and roll it back: a change request is
    filed only for a change that its service accepts now (its audit events,
    webhooks and snapshot rebuilds are rolled back with it)."""
    try:
        with transaction.atomic():
            kind.apply(payload, actor, reason)
            raise _Rehearsal
    except _Rehearsal:
        pass


def _control_locked() -> ChangeControl:
    # Every change made through change control is serialised on this row, so
    # that a version checked here is still the version when the change lands.
    ChangeControl.objects.get_or_create(pk=1)
    return ChangeControl.objects.select_for_update().get(pk=1)


def _announce(change: ChangeRequest, *, action: str, actor: Any, reason: str) -> None:
    payload = {
        "change_id": change.pk,
        "kind": change.kind,
        "target": change.target,
        "status": change.status,
        "emergency": change.emergency,
        "author": change.author_label,
        "reason": change.reason,
        "diff": change.diff,
        "decided_by": change.decided_by_label or None,
        "decision_reason": change.decision_reason or None,
    }
    audit_record_and_notify(
        action=action,
        event=action,
        payload=payload,
        target=change,
        actor=actor,
        reason=reason,
        after={"status": change.status, "diff": change.diff},
    )


def change_make(
    *,
    kind: str,
    payload: dict,
    actor: Any,
    reason: str,
    if_match: str = "",
    emergency: bool = False,
    needs_approval: bool = True,
) -> Outcome:
    """Make one change, or file it for approval when four-eyes is on.

    `if_match`: the version (ETag) the caller last saw; a stale one raises
    VersionConflict and changes nothing. `emergency` (a flag's kill switch, a
    rollback) takes effect at once even under four-eyes, and is filed as an
    applied request that raises an alert for a second admin to review.
    """
    reason = reason_required(reason)
    spec = KINDS[kind]
    with transaction.atomic():
        control = _control_locked()
        current = spec.version(payload)
        version_check(if_match=if_match, current=current)
        diff = spec.describe(payload)
        label = actor_label_for(actor)
        user = actor if getattr(actor, "is_authenticated", False) and hasattr(actor, "pk") else None

        def file_request(**decision: Any) -> ChangeRequest:
            # A request that waits for approval, or the record of an emergency; its
            # target is named when it is filed (after an emergency is applied).
            return ChangeRequest.objects.create(
                kind=kind,
                target=spec.target(payload),
                payload=payload,
                base_version=current,
                diff=diff,
                reason=reason,
                author=user,
                author_label=label,
                **decision,
            )

        if control.four_eyes and needs_approval and not emergency and diff:
            _rehearse(spec, payload, actor, reason)
            change = file_request()
            _announce(change, action="change.requested", actor=actor, reason=reason)
            logger.info("change.requested", extra={"change_id": change.pk, "kind": kind})
            return Outcome(request=change, changes=tuple(diff))
        result = spec.apply(payload, actor, reason)
        if not (control.four_eyes and emergency and diff):
            return Outcome(result=result, changes=tuple(diff))
        now = timezone.now()
        change = file_request(
            status=ChangeStatus.APPLIED,
            emergency=True,
            decided_by_label=label,
            decided_at=now,
            decision_reason="emergency: applied at once",
        )
        # The alert: a second admin reviews what bypassed approval.
        _announce(change, action="change.emergency", actor=actor, reason=reason)
        webhooks_dispatch(event="change.applied", payload={"change_id": change.pk, "kind": kind})
        logger.warning("change.emergency", extra={"change_id": change.pk, "kind": kind})
        return Outcome(result=result, request=change, changes=tuple(diff))


def version_check(*, if_match: str, current: str) -> None:
    """For changes outside four-eyes (webhooks): refuse a stale If-Match."""
    if if_match and not etag_matches(if_match, current):
        raise VersionConflict(current)


def _pending_locked(change_id: int) -> ChangeRequest:
    change = ChangeRequest.objects.select_for_update().filter(pk=change_id).first()
    if change is None:
        raise ChangeRefused("change", f"there is no change request {change_id}")
    if change.status != ChangeStatus.PENDING:
        raise ChangeRefused("status", f"this change is already {change.status}")
    return change


def change_approve(*, change_id: int, actor: Any, reason: str = "") -> ChangeRequest:
    """Apply a pending change as its author asked, if what it changes has not
    changed since; otherwise it becomes stale (returned with that status)."""
    label = actor_label_for(actor)
    with transaction.atomic():
        _control_locked()
        change = _pending_locked(change_id)
        if label == change.author_label:
            raise ChangeRefused(
                "approver", "the author cannot approve their own change; another admin must"
            )
        spec = KINDS[change.kind]
        try:
            current = spec.version(change.payload)
        except FieldError:
            current = ""  # its target is gone
        change.decided_by_label = label
        change.decided_at = timezone.now()
        change.decision_reason = (reason or "").strip()
        if current != change.base_version:
            change.status = ChangeStatus.STALE
            change.save()
            _announce(
                change,
                action="change.stale",
                actor=actor,
                reason=f"{change.target} changed since the request was made",
            )
            return change
        spec.apply(
            change.payload,
            actor,
            f"{change.reason} (change #{change.pk} by {change.author_label}, approved by {label})",
        )
        change.status = ChangeStatus.APPLIED
        change.save()
        _announce(change, action="change.approved", actor=actor, reason=change.decision_reason)
        webhooks_dispatch(
            event="change.applied", payload={"change_id": change.pk, "kind": change.kind}
        )
    logger.info("change.approved", extra={"change_id": change.pk})
    return change


def change_reject(*, change_id: int, actor: Any, reason: str) -> ChangeRequest:
    reason = reason_required(reason)
    with transaction.atomic():
        change = _pending_locked(change_id)
        change.status = ChangeStatus.REJECTED
        change.decided_by_label = actor_label_for(actor)
        change.decided_at = timezone.now()
        change.decision_reason = reason
        change.save()
        _announce(change, action="change.rejected", actor=actor, reason=reason)
    return change


def change_review(*, change_id: int, actor: Any, reason: str = "") -> ChangeRequest:
    """A second admin has looked at an emergency change after the fact."""
    label = actor_label_for(actor)
    with transaction.atomic():
        change = ChangeRequest.objects.select_for_update().filter(pk=change_id).first()
        if change is None or not change.awaiting_review:
            raise ChangeRefused("change", "no emergency change waits for review under this id")
        if label == change.author_label:
            raise ChangeRefused("reviewer", "another admin reviews an emergency change")
        change.reviewed_by_label = label
        change.reviewed_at = timezone.now()
        change.save(update_fields=["reviewed_by_label", "reviewed_at"])
        _announce(change, action="change.reviewed", actor=actor, reason=reason)
    return change


def four_eyes_set(*, on: bool, actor: Any, reason: str) -> ChangeControl:
    reason = reason_required(reason)
    with transaction.atomic():
        control = _control_locked()
        if control.four_eyes == on:
            return control
        before = {"four_eyes": control.four_eyes}
        control.four_eyes = on
        control.changed_at = timezone.now()
        control.save()
        audit_record_and_notify(
            action="change_control.four_eyes",
            event="change.control_changed",
            payload={"four_eyes": on, "actor": actor_label_for(actor), "reason": reason},
            target=control,
            actor=actor,
            reason=reason,
            before=before,
            after={"four_eyes": on},
        )
    return control


def change_from_page(
    *,
    kind: str,
    payload: dict,
    actor: Any,
    reason: str,
    emergency: bool = False,
    needs_approval: bool = True,
) -> ChangeRequest | None:
    """For the flag, budget and policy pages while four-eyes is on: the change
    goes through change control like the admin API's. Returns the request
    that waits for approval, or None when the change took effect."""
    payload = _json_safe(payload)
    if kind == ChangeKind.FLAG_UPDATE:
        # A page sends every field: only those it changes count.
        state = flag_state(_flag(payload))
        changed = {k for k, v in payload["changes"].items() if state.get(k) != v}
        needs_approval = bool(changed - FLAG_META)
    outcome = change_make(
        kind=kind,
        payload=payload,
        actor=actor,
        reason=reason,
        emergency=emergency,
        needs_approval=needs_approval,
    )
    return outcome.request if outcome.waiting else None


def waiting_message(change: ChangeRequest) -> str:
    return (
        f"Four-eyes approval is on: change request #{change.pk} waits for another admin "
        "(see Changes)."
    )
