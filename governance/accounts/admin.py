from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from governance.accounts.models import ApiKey, Client, Membership, Scope, Team
from governance.accounts.services import api_key_issue, api_key_revoke


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "store_prompts", "created_at")
    search_fields = ("slug", "name")


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "created_at")
    list_filter = ("team",)
    search_fields = ("name",)


class ApiKeyIssueForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ("client", "name", "scopes", "expires_at")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "client",
        "name",
        "scopes",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("client__team",)
    readonly_fields = ("prefix", "hashed_key", "created_at", "revoked_at", "last_used_at")
    actions = ["revoke_keys"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyIssueForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "client",
            "name",
            "scopes",
            "prefix",
            "hashed_key",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        )

    def save_model(self, request, obj, form, change):
        if change:
            return  # keys are immutable once issued; revoke and issue a new one instead
        issued = api_key_issue(
            client=form.cleaned_data["client"],
            scopes=form.cleaned_data["scopes"],
            name=form.cleaned_data.get("name", ""),
            expires_at=form.cleaned_data.get("expires_at"),
            actor=request.user,
        )
        obj.pk = issued.api_key.pk
        # Shown by response_add in the answer to this request only: a message
        # would carry it in a cookie or the session.
        request._governor_issued_key = issued.raw_key  # type: ignore[attr-defined]  # per-request hand-off

    def response_add(self, request, obj, post_url_continue=None):
        raw_key = getattr(request, "_governor_issued_key", None)
        if raw_key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "key": obj,
            "raw_key": raw_key,
            "title": "API key issued",
        }
        response = TemplateResponse(request, "admin/accounts/apikey/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected keys")
    def revoke_keys(self, request, queryset):
        for key in queryset:
            api_key_revoke(api_key=key, actor=request.user, reason="revoked from the admin")
        messages.success(request, f"Revoked {queryset.count()} key(s).")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "team")
