"""Demo flags: a peak-hours schedule, a 10 % pilot, targeting, a kill switch, a stale flag."""

from __future__ import annotations

from datetime import timedelta

from governance.flags.models import Flag
from governance.flags.services import flag_create

ON_OFF = {"on": True, "off": False}
PARIS_WORKING_HOURS = {
    "timezone": "Europe/Paris",
    "windows": [{"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}],
}


def _flags(now) -> list[dict]:
    return [
        {
            "key": "mini-model-for-ci-test-generation",
            "description": "During peak hours (weekdays 09:00-18:00 Paris), CI test generation goes to "
            "the mini model; the full model validates failures.",
            "owner": "platform",
            "variants": ON_OFF,
            "default_variant": "off",
            "off_variant": "off",
            "enabled": True,
            "schedule": PARIS_WORKING_HOURS,
            "rules": [
                {
                    "name": "CI test generation",
                    "conditions": [
                        {
                            "attribute": "task_type",
                            "operator": "equals",
                            "value": "test_generation",
                        },
                        {"attribute": "risk", "operator": "in", "value": ["low", "medium"]},
                    ],
                    "variant": "on",
                }
            ],
            "reason": "peak-hours quota relief for CI",
        },
        {
            "key": "mini-model-boilerplate-pilot",
            "description": "Pilot: 10 % of pipelines send boilerplate and completions to the mini model.",
            "owner": "payments",
            "variants": ON_OFF,
            "default_variant": "off",
            "off_variant": "off",
            "enabled": True,
            "rules": [
                {
                    "name": "boilerplate pilot",
                    "conditions": [
                        {
                            "attribute": "task_type",
                            "operator": "in",
                            "value": ["boilerplate", "completion"],
                        }
                    ],
                    "split": [{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}],
                }
            ],
            "reason": "pilot before a full rollout",
        },
        {
            "key": "review-model",
            "description": "Which model writes style reviews; critical repositories stay on the full model.",
            "owner": "platform",
            "flag_type": "string",
            "variants": {"full": "gpt-5-codex", "mini": "gpt-5-codex-mini"},
            "default_variant": "mini",
            "off_variant": "full",
            "enabled": True,
            "rules": [
                {
                    "name": "high risk stays on full",
                    "conditions": [
                        {"attribute": "risk", "operator": "in", "value": ["high", "critical"]}
                    ],
                    "variant": "full",
                },
                {
                    "name": "payments stays on full",
                    "conditions": [
                        {"attribute": "team", "operator": "equals", "value": "payments"}
                    ],
                    "variant": "full",
                },
            ],
            "reason": "style reviews are a well-specified task",
        },
        {
            "key": "mini-model-flows",
            "description": "Kill switch for every mini-model flow: off sends all work back to the full "
            "model (the default policy's first rule reads it).",
            "owner": "platform",
            "variants": ON_OFF,
            "default_variant": "on",
            "off_variant": "off",
            "enabled": True,
            "reason": "incident runbook",
        },
        {
            "key": "legacy-escalation-threshold",
            "description": "Old pass-rate threshold for escalation; replaced by quality alerts.",
            "owner": "search",
            "flag_type": "number",
            "variants": {"strict": 0.9, "lenient": 0.75},
            "default_variant": "strict",
            "enabled": True,
            "expires_at": now - timedelta(days=10),
            "reason": "kept until the quality alerts are trusted",
        },
    ]


def load(*, rng, now, out) -> None:
    created = 0
    for fields in _flags(now):
        if Flag.objects.filter(key=fields["key"]).exists():
            continue
        flag_create(actor="system:demo", **fields)
        created += 1
    out.write(f"  {Flag.objects.count()} flags ({created} new)")
