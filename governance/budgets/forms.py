from __future__ import annotations

from decimal import Decimal

from django import forms

from governance.accounts.models import Team
from governance.budgets.models import HardLimit, Period, Unit, timezone_choices


class BudgetForm(forms.Form):
    """The fields an admin edits; the service validates the rules between them."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("slug"),
        required=False,
        empty_label="(whole organisation)",
        to_field_name="slug",
    )
    name = forms.CharField(max_length=128)
    unit = forms.ChoiceField(choices=Unit.choices)
    limit = forms.DecimalField(max_digits=20, decimal_places=4, min_value=Decimal("0.0001"))
    period = forms.ChoiceField(choices=Period.choices)
    timezone = forms.ChoiceField(choices=timezone_choices, initial="UTC")
    fallback_threshold_pct = forms.DecimalField(
        label="Fallback threshold (%)",
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=Decimal("90"),
    )
    reserve_pct = forms.DecimalField(
        label="Reserve for critical work (%)",
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=Decimal("5"),
    )
    hard_limit = forms.ChoiceField(choices=HardLimit.choices, label="At the limit")
    reason = forms.CharField(max_length=500, required=False, widget=forms.TextInput)
