"""Reads for change control: each target's state and version (its ETag), the
configuration document in force, and the change requests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from governance.accounts.models import Team
from governance.advisor.models import DEFAULT_TOLERANCE_PP, ORG_SCOPE, QualityTolerance
from governance.audit.models import WebhookEndpoint
from governance.budgets.models import Budget
from governance.budgets.services import EDITABLE_FIELDS
from governance.changes.models import ChangeControl, ChangeRequest, ChangeStatus
from governance.changes.wording import ORGANISATION
from governance.core.freshness import canonical_json, etag_for
from governance.flags.models import Flag
from governance.flags.services import META_FIELDS, SPEC_FIELDS, flag_state
from governance.policies.selectors import policy_current

# The document's fields of a flag: its spec and metadata, without its key
# (the document's key) and its archive mark (archived flags are left out).
FLAG_FIELDS = (*SPEC_FIELDS, *META_FIELDS)
DOCUMENT_FORMAT = 1


def version_of(state: Any) -> str:
    """The version of a state, as an ETag (quoted): equal states, equal versions."""
    return etag_for(canonical_json(state))


def four_eyes_on() -> bool:
    return ChangeControl.objects.filter(pk=1, four_eyes=True).exists()


# --- states -------------------------------------------------------------------


def decimal_text(value: Decimal) -> str:
    """1000.0000 -> "1000", 92.50 -> "92.5": one spelling per amount."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def budget_name(budget: Budget) -> str:
    """`payments/Monthly`, `organisation/Monthly`: a budget's name in documents."""
    owner = budget.team.slug if budget.team is not None else ORGANISATION
    return f"{owner}/{budget.name}"


def budget_fields(budget: Budget) -> dict[str, Any]:
    return {
        field: decimal_text(value) if isinstance(value, Decimal) else value
        for field, value in ((f, getattr(budget, f)) for f in EDITABLE_FIELDS)
        if field != "name"
    }


def budget_state(budget: Budget) -> dict[str, Any]:
    return {
        "id": budget.pk,
        "name": budget.name,
        "team": budget.team.slug if budget.team is not None else None,
        **budget_fields(budget),
        "state": budget.state,
        "percent": decimal_text(budget.percent),
    }


def budget_version(budget: Budget) -> str:
    # The version covers what admins set, not the evaluator's percentage.
    return version_of({"name": budget.name, "team": budget.team_id, **budget_fields(budget)})


def flag_version(flag: Flag) -> str:
    return version_of(flag_state(flag))


def policy_state() -> dict[str, Any]:
    current = policy_current()
    if current is None:
        return {"version": 0, "document": None, "note": "", "published_at": None}
    return {
        "version": current.number,
        "document": current.document,
        "note": current.note,
        "restored_from": current.restored_from,
        "published_at": current.published_at.isoformat(),
    }


def policy_version() -> str:
    current = policy_current()
    return version_of({"policy": current.number if current else 0})


def webhook_state(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "is_active": endpoint.is_active,
    }


def webhook_version(endpoint: WebhookEndpoint) -> str:
    return version_of(webhook_state(endpoint))


def tolerance_text(value: Decimal) -> str:
    """1.00 -> "1.0", 0.50 -> "0.5", 0.25 -> "0.25": percentage points as people write them."""
    text = decimal_text(value)
    return text if "." in text else f"{text}.0"


def tolerances() -> dict[str, str]:
    """`organisation` (always: 1.0 pp unless set) and each team's override, by team slug."""
    rows = QualityTolerance.objects.select_related("team").order_by("scope")
    found = {row.team.slug if row.team else ORGANISATION: row.tolerance_pp for row in rows}
    found.setdefault(ORGANISATION, DEFAULT_TOLERANCE_PP)
    return {name: tolerance_text(found[name]) for name in sorted(found)}


def tolerance_state(team: Team | None) -> dict[str, Any]:
    """The organisation's tolerance (team None), or one team's override (None
    when it has none) and the tolerance in force for it."""
    scope = ORG_SCOPE if team is None else f"team:{team.pk}"
    row = QualityTolerance.objects.filter(scope=scope).first()
    if team is None:
        return {
            "team": None,
            "tolerance_pp": tolerance_text(row.tolerance_pp if row else DEFAULT_TOLERANCE_PP),
        }
    in_force = row or QualityTolerance.objects.filter(scope=ORG_SCOPE).first()
    return {
        "team": team.slug,
        "tolerance_pp": tolerance_text(row.tolerance_pp) if row else None,
        "in_force_pp": tolerance_text(in_force.tolerance_pp if in_force else DEFAULT_TOLERANCE_PP),
    }


def tolerance_version(team: Team | None) -> str:
    # A team's version covers its own override, not the organisation's value.
    state = tolerance_state(team)
    return version_of({"tolerance": state["team"] or ORGANISATION, "pp": state["tolerance_pp"]})


# --- the configuration document ---------------------------------------------------


def config_export() -> dict[str, Any]:
    """The policy in force, every flag not archived, every budget and the
    quality tolerances (the organisation's and each team's override), in one
    document whose keys sort (so that a file under version control changes
    only where the configuration did)."""
    current = policy_current()
    flags = Flag.objects.filter(archived_at__isnull=True).order_by("key")
    budgets = Budget.objects.select_related("team").order_by("team__slug", "name")
    return {
        "format": DOCUMENT_FORMAT,
        "policy": current.document if current is not None else None,
        "flags": {flag.key: {f: flag_state(flag)[f] for f in FLAG_FIELDS} for flag in flags},
        "budgets": {budget_name(b): budget_fields(b) for b in budgets},
        "tolerances": tolerances(),
    }


def config_version() -> str:
    return version_of(config_export())


# --- change requests ----------------------------------------------------------------


def changes_pending() -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(status=ChangeStatus.PENDING).order_by("created_at", "id")


def changes_awaiting_review() -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(emergency=True, reviewed_at__isnull=True)


def changes_history(*, limit: int = 100) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.exclude(status=ChangeStatus.PENDING)[:limit]


def change_get(*, change_id: int) -> ChangeRequest | None:
    return ChangeRequest.objects.filter(pk=change_id).first()
