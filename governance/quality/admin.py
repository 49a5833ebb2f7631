"""Read-only admin views: runs and alerts change only through the quality services."""

from django.contrib import admin

from governance.quality.models import QualityAlert, SuiteRun, SuiteRunCall


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SuiteRunCallInline(admin.TabularInline):
    model = SuiteRunCall
    extra = 0
    fields = ("call_id", "resolved_call")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SuiteRun)
class SuiteRunAdmin(_ReadOnlyAdmin):
    list_display = (
        "run_id",
        "team",
        "model",
        "task_type",
        "passed",
        "failed",
        "errored",
        "skipped",
        "outcome",
        "timestamp",
    )
    list_filter = ("model", "task_type", "outcome", "source")
    list_select_related = ("team",)
    search_fields = ("run_id", "repo", "commit", "pull_request")
    inlines = [SuiteRunCallInline]


@admin.register(QualityAlert)
class QualityAlertAdmin(_ReadOnlyAdmin):
    list_display = (
        "model",
        "task_type",
        "team",
        "state",
        "baseline_rate",
        "recent_rate",
        "raised_at",
        "cleared_at",
    )
    list_filter = ("state", "model")
    list_select_related = ("team",)
