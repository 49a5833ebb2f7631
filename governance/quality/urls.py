from django.urls import path

from governance.quality import api

urlpatterns = [
    path("api/v1/test-runs", api.SuiteRunIngestView.as_view(), name="quality-test-runs"),
    path("api/v1/quality/pass-rates", api.PassRatesView.as_view(), name="quality-pass-rates"),
    path("api/v1/quality/comparisons", api.ComparisonsView.as_view(), name="quality-comparisons"),
    path("api/v1/quality/alerts", api.AlertsView.as_view(), name="quality-alerts"),
]
