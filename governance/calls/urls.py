from django.urls import path

from governance.calls.api import CallsView
from governance.calls.otlp.api import OtlpLogsReceiver, OtlpTracesReceiver

urlpatterns = [
    path("api/v1/calls", CallsView.as_view(), name="api-calls"),
    # OTEL_EXPORTER_OTLP_ENDPOINT=<governor>/otlp: exporters append /v1/logs and /v1/traces.
    path("otlp/v1/logs", OtlpLogsReceiver.as_view(), name="otlp-logs"),
    path("otlp/v1/traces", OtlpTracesReceiver.as_view(), name="otlp-traces"),
]
