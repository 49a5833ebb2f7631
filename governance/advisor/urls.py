from django.urls import path

from governance.advisor import api, views

app_name = "advisor"

urlpatterns = [
    path("api/v1/recommendations", api.RecommendationsView.as_view(), name="recommendations"),
    path("advisor/tolerance/", views.ToleranceView.as_view(), name="tolerance"),
    path("advisor/draft/", views.DraftPlanView.as_view(), name="draft"),
    path("advisor/pilot/", views.PilotView.as_view(), name="pilot"),
]
