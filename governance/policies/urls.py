from django.urls import path

from governance.policies import views
from governance.policies.api import DecideView, PolicySnapshotView, ReplayJobApi

app_name = "policies"

urlpatterns = [
    path("api/v1/decide", DecideView.as_view(), name="api-decide"),
    path("api/v1/policy", PolicySnapshotView.as_view(), name="api-policy"),
    path("api/v1/policies/replays/<uuid:pk>", ReplayJobApi.as_view(), name="api-replay"),
    path("policies/", views.PolicyEditorPage.as_view(), name="editor"),
    path(
        "policies/versions/<int:number>/rollback",
        views.PolicyRollbackView.as_view(),
        name="rollback",
    ),
    path("policies/replays/<uuid:pk>/", views.ReplayJobPage.as_view(), name="replay"),
]
