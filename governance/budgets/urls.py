from django.urls import path

from governance.budgets import views
from governance.budgets.api import BudgetsView

app_name = "budgets"

urlpatterns = [
    path("api/v1/budgets", BudgetsView.as_view(), name="api-budgets"),
    path("budgets/", views.BudgetListPage.as_view(), name="list"),
    path("budgets/new", views.BudgetEditPage.as_view(), name="create"),
    path("budgets/<int:pk>/edit", views.BudgetEditPage.as_view(), name="edit"),
]
