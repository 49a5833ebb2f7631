from django import forms


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150)
    action = forms.CharField(
        required=False, max_length=64, help_text='exact, or a prefix ending in "." (flag.)'
    )
    target_type = forms.CharField(required=False, max_length=64)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", "must not be before 'since'")
        return data


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.CharField(
        max_length=500,
        initial="flag.*",
        help_text="Comma-separated patterns: flag.*, budget.*, quality.alert.*, change.*, or *",
    )
    description = forms.CharField(required=False, max_length=255)
    reason = forms.CharField(max_length=500)

    def clean_events(self):
        return [p.strip() for p in self.cleaned_data["events"].split(",") if p.strip()]


class WebhookActiveForm(forms.Form):
    is_active = forms.TypedChoiceField(
        choices=[("true", "on"), ("false", "off")], coerce=lambda v: v == "true"
    )
    reason = forms.CharField(max_length=500)
