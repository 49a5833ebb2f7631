"""The policy in words for the people who read it, and what changed between versions."""

from __future__ import annotations

from governance.engine.default_policy import DEFAULT_POLICY
from governance.policies.readable import condition_text, policy_diff, policy_readable


def test_policy_readable__default_policy__each_rule_in_words_then_the_defaults():
    rows = policy_readable(DEFAULT_POLICY)

    assert [r.position for r in rows] == [*range(1, len(DEFAULT_POLICY["rules"]) + 1), None]
    reserve, critical = rows[0], rows[1]
    assert reserve.conditions == (
        "the team's budget state is one of reserve_only, exhausted",
        "the budget's hard limit is block",
        "risk is not critical",
    )
    assert reserve.decision == ("blocked: no model is called",)
    assert critical.decision == ("model gpt-5-codex", "no fallback")
    low_risk = rows[-2]
    assert low_risk.decision == (
        "model gpt-5-codex-mini",
        "falls back to gpt-5-codex",
        "escalates failures to gpt-5-codex",
        "timeout 60 s",
    )
    assert rows[-1].name == "defaults"
    assert rows[-1].decision[:2] == ("model gpt-5-codex", "falls back to gpt-5-codex-mini")


def test_condition_text__named_subjects_and_exists__read_as_sentences():
    assert condition_text({"kind": "flag", "key": "mini-flows", "op": "eq", "value": False}) == (
        "flag mini-flows is false"
    )
    assert condition_text({"kind": "attribute", "name": "repo", "op": "exists", "value": True}) == (
        "attribute repo is set"
    )
    assert condition_text(
        {"kind": "model_health", "model": "gpt-5-codex", "op": "ne", "value": "healthy"}
    ) == ("health of gpt-5-codex is not healthy")


def test_policy_diff__rules_reordered_and_one_changed__both_said_once():
    older = DEFAULT_POLICY
    rules = [dict(r) for r in DEFAULT_POLICY["rules"]]
    rules[0], rules[1] = rules[1], rules[0]
    rules[2] = {**rules[2], "reason": "changed"}
    newer = {**DEFAULT_POLICY, "rules": rules}

    diff = policy_diff(older, newer)

    assert diff.summary[0] == f"rule {rules[2]['name']} changed"
    assert diff.summary[1].startswith("rules reordered: critical-on-full → reserve-for-critical")
    assert {line.kind for line in diff.lines} >= {"added", "removed", "same"}


def test_policy_diff__same_document__no_difference_and_no_lines():
    diff = policy_diff(DEFAULT_POLICY, DEFAULT_POLICY)

    assert diff.summary == ("no difference",)
    assert diff.lines == ()
