from django.urls import path

from governance.dashboard import api, views

app_name = "dashboard"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("spend/", views.SpendView.as_view(), name="spend"),
    path("savings/", views.SavingsView.as_view(), name="savings"),
    path("quality/", views.QualityView.as_view(), name="quality"),
    # /budgets/ is the budgets app's own list (admins edit there); this is the burn-down.
    path("burn-down/", views.BudgetsView.as_view(), name="budgets"),
    path("exports/", views.ExportListView.as_view(), name="exports"),
    path("exports/<uuid:pk>/", views.ExportDetailView.as_view(), name="export-detail"),
    path("exports/<uuid:pk>/download", views.ExportDownloadView.as_view(), name="export-download"),
    path("api/v1/dashboard/exports/<uuid:pk>", api.ExportJobApi.as_view(), name="api-export"),
    path("api/v1/dashboard/<str:page>", api.DashboardPageApi.as_view(), name="api-page"),
]
