from django.urls import path

from governance.changes import api, views

app_name = "changes"

A = "api/v1/admin/"

urlpatterns = [
    path(f"{A}flags", api.FlagsAdminApi.as_view(), name="api-flags"),
    path(f"{A}flags/<str:key>", api.FlagAdminApi.as_view(), name="api-flag"),
    path(f"{A}flags/<str:key>/toggle", api.FlagToggleAdminApi.as_view(), name="api-flag-toggle"),
    path(f"{A}flags/<str:key>/archive", api.FlagArchiveAdminApi.as_view(), name="api-flag-archive"),
    path(f"{A}budgets", api.BudgetsAdminApi.as_view(), name="api-budgets"),
    path(f"{A}budgets/<int:pk>", api.BudgetAdminApi.as_view(), name="api-budget"),
    path(f"{A}policy", api.PolicyAdminApi.as_view(), name="api-policy"),
    path(f"{A}policy/validate", api.PolicyValidateAdminApi.as_view(), name="api-policy-validate"),
    path(f"{A}policy/dry-run", api.PolicyDryRunAdminApi.as_view(), name="api-policy-dry-run"),
    path(f"{A}policy/replays", api.ReplaysAdminApi.as_view(), name="api-replays"),
    path(f"{A}policy/replays/<uuid:pk>", api.ReplayAdminApi.as_view(), name="api-replay"),
    path(f"{A}policy/publish", api.PolicyPublishAdminApi.as_view(), name="api-policy-publish"),
    path(f"{A}policy/rollback", api.PolicyRollbackAdminApi.as_view(), name="api-policy-rollback"),
    # The quality tolerance (governance.advisor), written through the advisor's own service.
    path(f"{A}quality/tolerance", api.ToleranceAdminApi.as_view(), name="api-tolerance"),
    path(
        f"{A}quality/tolerance/teams/<str:slug>",
        api.TeamToleranceAdminApi.as_view(),
        name="api-team-tolerance",
    ),
    path(f"{A}webhooks", api.WebhooksAdminApi.as_view(), name="api-webhooks"),
    path(f"{A}webhooks/<int:pk>", api.WebhookAdminApi.as_view(), name="api-webhook"),
    path(f"{A}config", api.ConfigAdminApi.as_view(), name="api-config"),
    path(f"{A}config/diff", api.ConfigDiffAdminApi.as_view(), name="api-config-diff"),
    path(f"{A}config/apply", api.ConfigApplyAdminApi.as_view(), name="api-config-apply"),
    path(f"{A}changes", api.ChangesAdminApi.as_view(), name="api-changes"),
    path(f"{A}changes/<int:pk>", api.ChangeAdminApi.as_view(), name="api-change"),
    path(
        f"{A}changes/<int:pk>/approve",
        api.ChangeDecisionAdminApi.as_view(decision="approve"),
        name="api-change-approve",
    ),
    path(
        f"{A}changes/<int:pk>/reject",
        api.ChangeDecisionAdminApi.as_view(decision="reject"),
        name="api-change-reject",
    ),
    path(
        f"{A}changes/<int:pk>/review",
        api.ChangeDecisionAdminApi.as_view(decision="review"),
        name="api-change-review",
    ),
    path(f"{A}change-control", api.ChangeControlAdminApi.as_view(), name="api-change-control"),
    path("changes/", views.ChangesPage.as_view(), name="list"),
    path("changes/<int:pk>/decide", views.ChangeDecisionPage.as_view(), name="decide"),
    path("changes/four-eyes", views.FourEyesPage.as_view(), name="four-eyes"),
]
