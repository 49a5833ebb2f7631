from django.urls import path

from governance.audit import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.AuditLogView.as_view(), name="log"),
    path("audit/webhooks/", views.WebhookListView.as_view(), name="webhooks"),
    path("audit/webhooks/new/", views.WebhookCreateView.as_view(), name="webhook-create"),
    path(
        "audit/webhooks/<int:pk>/active/", views.WebhookActiveView.as_view(), name="webhook-active"
    ),
    path(
        "audit/webhooks/deliveries/<int:pk>/retry/",
        views.WebhookDeliveryRetryView.as_view(),
        name="webhook-delivery-retry",
    ),
]
