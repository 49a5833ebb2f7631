"""Root URLs. Each app's urls.py carries its own API routes (under api/v1/) and
pages, so adding a route never touches another app's file."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="openapi-schema"),
    # The schema as a page to read (Swagger UI; its script is a file, not inline).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="openapi-schema", template_name="api_docs.html", title="Governor API"
        ),
        name="api-docs",
    ),
    # First: the decision endpoints are the hottest paths, and resolving a URL
    # tries every earlier include's patterns.
    path("", include("governance.policies.urls")),
    path("", include("governance.accounts.urls")),
    path("", include("governance.catalog.urls")),
    path("", include("governance.calls.urls")),
    path("", include("governance.quality.urls")),
    path("", include("governance.budgets.urls")),
    path("", include("governance.flags.urls")),
    path("", include("governance.audit.urls")),
    path("", include("governance.changes.urls")),
    path("", include("governance.advisor.urls")),
    path("", include("governance.dashboard.urls")),
    path("", include("governance.ops.urls")),
]

# JSON for API paths, the site's own pages for the rest (governance.ops.views).
handler403 = "governance.ops.views.permission_denied"
handler404 = "governance.ops.views.not_found"
handler500 = "governance.ops.views.server_error"
