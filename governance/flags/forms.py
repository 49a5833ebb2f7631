from __future__ import annotations

import json
from typing import Any

from django import forms

from governance.core.errors import FieldError
from governance.core.parsers import BodyError, json_parse
from governance.engine.flag_spec import FlagType, Operator
from governance.flags.readable import OPERATOR_LABELS

JSON_FIELDS = ("variants", "rules", "rollout", "schedule")
NUMERIC_OPERATORS = (Operator.GT, Operator.GTE, Operator.LT, Operator.LTE)


class JsonField(forms.CharField):
    """A JSON document typed into a textarea."""

    def __init__(self, *, empty: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", forms.Textarea(attrs={"rows": 6, "cols": 70, "spellcheck": "false"})
        )
        super().__init__(**kwargs)
        self.empty = empty

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2) if value not in (None, [], {}) else ""

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value) or ""
        if not text.strip():
            return self.empty
        try:
            return json_parse(text.encode())
        except BodyError as exc:
            raise forms.ValidationError(exc.message) from None


class FlagForm(forms.Form):
    key = forms.SlugField(
        max_length=128, help_text="Clients ask for the flag by this key; it never changes."
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 70})
    )
    owner = forms.CharField(required=False, max_length=150)
    flag_type = forms.ChoiceField(label="Type", choices=[(t.value, t.value) for t in FlagType])
    variants = JsonField(
        empty={}, required=True, help_text='Variant name to value, e.g. {"on": true, "off": false}.'
    )
    default_variant = forms.CharField(
        max_length=64, help_text="Served when the flag is on and no rule matches."
    )
    off_variant = forms.CharField(
        max_length=64,
        required=False,
        help_text="Served when the flag is off or outside its schedule.",
    )
    rules = JsonField(
        empty=[],
        help_text='Ordered: [{"conditions": [{"attribute": "team", "operator": "in", "value": ["ci"]}], '
        '"variant": "on"} or "split": [{"variant": "on", "weight": 10}, ...]].',
    )
    rollout = JsonField(
        empty=[],
        help_text='When no rule matches: [{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}].',
    )
    schedule = JsonField(
        empty=None,
        help_text='{"timezone": "Europe/Paris", "windows": [{"days": [1,2,3,4,5], "start": "09:00", "end": "18:00"}]}',
    )
    expires_at = forms.DateTimeField(
        required=False, help_text="After this date the flag is listed as stale."
    )
    reason = forms.CharField(max_length=500, help_text="Why? It goes into the audit log.")

    @property
    def rule_choices(self) -> dict[str, Any]:
        """What the rule rows offer (flags/editor.js reads it from the page)."""
        return {
            "operators": [[op.value, OPERATOR_LABELS.get(op, op.value)] for op in Operator],
            "numeric_operators": [op.value for op in NUMERIC_OPERATORS],
            "value_hints": {
                "in": "a, b, c",
                "not_in": "a, b, c",
                **{op.value: "a number" for op in NUMERIC_OPERATORS},
                "semver_eq": "1.4.0",
                "before": "2026-12-31T18:00:00Z",
                "after": "2026-12-31T18:00:00Z",
            },
        }

    def add_service_error(self, error: FieldError) -> None:
        """Show a service's error next to the field it names ("rules[0].split" -> rules)."""
        name = error.field.split(".")[0].split("[")[0]
        name = {"type": "flag_type"}.get(name, name)
        if name in self.fields:
            self.add_error(
                name, f"{error.field}: {error.message}" if name != error.field else error.message
            )
        else:
            self.add_error(None, str(error))


class FlagToggleForm(forms.Form):
    enabled = forms.TypedChoiceField(
        choices=[("true", "on"), ("false", "off")], coerce=lambda v: v == "true"
    )
    reason = forms.CharField(max_length=500)
