from django.urls import path

from governance.budgets import views
from governance.budgets.api import BudgetsView

app_name = "budgets"

urlpatterns = [
    path("api/v1/budgets", BudgetsView.as_view(), name="api-budgets"),
    path("budgets/", views.BudgetListPage.as_view(), name="list"),
]
