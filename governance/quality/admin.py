"""Read-only admin views: runs and alerts change only through the quality services."""

from django.contrib import admin

from governance.quality.models import QualityAlert, TestRun, TestRunCall


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TestRunCallInline(admin.TabularInline):
    model = TestRunCall
    extra = 0
    fields = ("call_id", "resolved_call")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TestRun)
class TestRunAdmin(_ReadOnlyAdmin):
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
    inlines = [TestRunCallInline]


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
