from django.urls import path

from governance.flags import api, views

app_name = "flags"

urlpatterns = [
    path("ofrep/v1/evaluate/flags", api.EvaluateFlagsView.as_view(), name="ofrep-bulk"),
    path("ofrep/v1/evaluate/flags/<str:key>", api.EvaluateFlagView.as_view(), name="ofrep-flag"),
    path("flags/", views.FlagListView.as_view(), name="list"),
    path("flags/new/", views.FlagCreateView.as_view(), name="create"),
    path("flags/<str:key>/", views.FlagDetailView.as_view(), name="detail"),
    path("flags/<str:key>/toggle/", views.FlagToggleView.as_view(), name="toggle"),
]
