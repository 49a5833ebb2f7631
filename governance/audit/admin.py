from django.contrib import admin

from governance.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "actor_label", "action", "target_type", "target_repr", "reason")
    list_filter = ("action", "target_type")
    search_fields = ("actor_label", "target_repr", "reason")

    # The audit log is evidence: nobody edits or deletes it from the admin.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
