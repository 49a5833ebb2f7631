from django.urls import path

from governance.calls.api import CallsView

urlpatterns = [
    path("api/v1/calls", CallsView.as_view(), name="api-calls"),
]
