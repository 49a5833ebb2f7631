from __future__ import annotations

from governance.flags.services import flag_create


def make_flag(*, key="mini-model-for-ci", actor="system:tests", reason="test setup", **overrides):
    """A boolean flag through the real service (so the snapshot version moves)."""
    fields = {
        "variants": {"on": True, "off": False},
        "default_variant": "on",
        "off_variant": "off",
        "enabled": True,
    }
    fields.update(overrides)
    return flag_create(key=key, actor=actor, reason=reason, **fields)
