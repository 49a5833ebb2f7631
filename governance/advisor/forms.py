from __future__ import annotations

from decimal import Decimal

from django import forms

from governance.accounts.models import Team
from governance.advisor.services import TOLERANCE_MAX_PP


class ToleranceForm(forms.Form):
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("slug"),
        required=False,
        empty_label="(whole organisation)",
        to_field_name="slug",
    )
    tolerance_pp = forms.DecimalField(
        label="Tolerance (percentage points of pass rate)",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=TOLERANCE_MAX_PP,
    )
    reason = forms.CharField(max_length=500, required=False)
