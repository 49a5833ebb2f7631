from django.urls import path

from governance.ops import api, views

app_name = "ops"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
    path("jobs/", views.JobsView.as_view(), name="jobs"),
    path("api/v1/jobs", api.JobsApi.as_view(), name="api-jobs"),
    path("favicon.ico", views.favicon, name="favicon"),
]
