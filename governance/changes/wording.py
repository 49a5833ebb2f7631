"""What a change does, in words: a configuration document against the one in
force, a flag or a budget against its current state. Plain Python (no Django):
the change-request pages, the admin API's diff and `governor config diff`
all print these sentences."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from governance.flags.readable import schedule_text
from governance.policies.readable import policy_readable

SECTIONS = ("budgets", "flags", "policy", "tolerances")
# The name of what belongs to no team: a budget `organisation/Monthly`, the
# organisation's quality tolerance `organisation`.
ORGANISATION = "organisation"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(", ", ": "))


def _field_text(field: str, value: Any) -> str:
    if field == "schedule":
        return schedule_text(value) or "no schedule"
    return _text(value)


def fields_changed(subject: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """`flag peak-hours: schedule Mon 09:00-18:00 (UTC) → Mon 08:00-18:00 (UTC)`, one per field."""
    return [
        f"{subject}: {field} {_field_text(field, before.get(field))} → "
        f"{_field_text(field, after.get(field))}"
        for field in sorted(set(before) | set(after))
        if field in after and before.get(field) != after.get(field)
    ]


def policy_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """Rule by rule: `rule 3 refactor-on-mini: model gpt-5-codex → model gpt-5-codex-mini`."""
    if before is None:
        return ["policy: first version published"]
    if before == after:
        return []
    old = {row.name: row for row in policy_readable(before)}
    new_rows = policy_readable(after)
    lines: list[str] = []
    for row in new_rows:
        label = f"rule {row.position} {row.name}" if row.position else "defaults"
        was = old.get(row.name)
        if was is None:
            lines.append(
                f"{label} added: when {' and '.join(row.conditions)}, {', '.join(row.decision)}"
            )
            continue
        if was.conditions != row.conditions:
            lines.append(
                f"{label}: when {' and '.join(was.conditions)} → when {' and '.join(row.conditions)}"
            )
        if was.decision != row.decision:
            lines.append(f"{label}: {', '.join(was.decision)} → {', '.join(row.decision)}")
        if was.position != row.position:
            lines.append(f"{label}: moved from position {was.position}")
    names = {row.name for row in new_rows}
    lines += [f"rule {name} removed" for name in old if name not in names]
    # Same rules in words, different JSON (a retry setting, a reason): say so.
    return lines or ["policy: details changed (see the JSON)"]


def document_changes(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """Every change applying `wanted` over `current` would make, in words;
    [] when it would change nothing. What the document leaves out stays as it is."""
    lines: list[str] = []
    if "policy" in wanted:
        lines += policy_changed(current.get("policy"), wanted["policy"])
    for section, noun in (("flags", "flag"), ("budgets", "budget")):
        have = current.get(section) or {}
        for name, values in sorted((wanted.get(section) or {}).items()):
            if name not in have:
                lines.append(f"{noun} {name}: created")
            else:
                lines += fields_changed(f"{noun} {name}", have[name], values)
    return lines + tolerances_changed(
        current.get("tolerances") or {}, wanted.get("tolerances") or {}
    )


def tolerances_changed(
    current: Mapping[str, str | None], wanted: Mapping[str, str | None]
) -> list[str]:
    """`tolerance payments: 1.0 pp → 0.5 pp`, one per tolerance `wanted` moves.
    Tolerances are keyed `organisation` or by team; a team's None removes its
    override. `before` is what the team has in force now (the organisation's
    when it has no override of its own)."""
    org_now = current.get(ORGANISATION)
    org_then = wanted.get(ORGANISATION) or org_now
    lines: list[str] = []
    for name, after in sorted(wanted.items()):
        before = current.get(name)
        if after == before:
            continue
        if after is None:
            lines.append(
                f"tolerance {name}: {before} pp → removed (the organisation's {org_then} pp applies)"
            )
        elif before is None and after == org_now:
            lines.append(f"tolerance {name}: {after} pp, its own now (was the organisation's)")
        else:
            lines.append(f"tolerance {name}: {before or org_now} pp → {after} pp")
    return lines
