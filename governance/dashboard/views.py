"""Dashboard pages: parse the filter, build the page from selectors, render
it as HTML or one of its tables as CSV. Thin on purpose."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views import View

from governance.accounts import roles
from governance.accounts.permissions import ReaderRequiredMixin
from governance.core.csvsafe import csv_writer
from governance.core.jobs import JobStatus
from governance.dashboard import reports
from governance.dashboard.filters import RANGES, FilterError, filter_from_query, filter_querystring
from governance.dashboard.models import ExportJob
from governance.dashboard.selectors import STACK_DIMENSIONS, RollupFilter, filter_options
from governance.dashboard.services import export_job_create, exports_dir


def _linker(request: HttpRequest, filters: RollupFilter):
    def link(page: str, *, start: date | None = None, end: date | None = None) -> str:
        f = filters if start is None else filters.with_range(start=start, end=end or start)
        return f"{reverse('dashboard:' + page)}?{filter_querystring(f)}"

    return link


def _draft_policy_url(user: Any) -> str:
    """Only admins may change policies, so only they get the link."""
    if not roles.is_admin(user):
        return ""
    for name in ("policies:editor", "admin:index"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def build_page(name: str, request: HttpRequest, filters: RollupFilter) -> reports.Page:
    """The one place that knows which report a page name means (used by the
    HTML pages and the API alike)."""
    if name == "overview":
        return reports.overview_page(
            filters=filters, today=timezone.now().date(), link=_linker(request, filters)
        )
    if name == "spend":
        stack_by = request.GET.get("stack_by") or "model"
        if stack_by not in STACK_DIMENSIONS:
            raise FilterError("stack_by", f"must be one of {', '.join(STACK_DIMENSIONS)}")
        return reports.spend_page(filters=filters, stack_by=stack_by)
    if name == "savings":
        draft_url = _draft_policy_url(request.user)
        return reports.savings_page(
            filters=filters,
            draft_policy_url=draft_url,
            advisor_urls=(
                {
                    "draft": reverse("advisor:draft"),
                    "pilot": reverse("advisor:pilot"),
                    "tolerance": reverse("advisor:tolerance"),
                }
                if draft_url
                else {}
            ),
        )
    if name == "quality":
        return reports.quality_page(filters=filters)
    if name == "budgets":
        return reports.budgets_page(filters=filters, now=timezone.now())
    raise Http404(name)


# The report pages, in the order of the navigation; the API serves the same names.
PAGES = ("overview", "spend", "quality", "budgets", "savings")


def table_csv(table: reports.Table, *, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv_writer(response)
    writer.writerow([label for _, label in table.columns])
    for row in table.rows:
        writer.writerow([row[key] for key, _ in table.columns])
    return response


def bad_filter(exc: FilterError) -> HttpResponse:
    return HttpResponseBadRequest(
        f"Bad filter: {exc.field}: {exc.message}", content_type="text/plain"
    )


class DashboardPageView(ReaderRequiredMixin, View):
    page_name = ""
    template_name = "dashboard/page.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            filters = filter_from_query(request.GET)
            page = build_page(self.page_name, request, filters)
        except FilterError as exc:
            return HttpResponseBadRequest(
                f"Bad filter: {exc.field}: {exc.message}", content_type="text/plain"
            )
        export = request.GET.get("export")
        if export:
            table = page.table(export)
            if table is None:
                return HttpResponseBadRequest(
                    f"Bad export: export must be one of {', '.join(t.key for t in page.tables)}",
                    content_type="text/plain",
                )
            return table_csv(
                table, filename=f"{page.key}-{table.key}-{filters.start}-{filters.end}.csv"
            )
        query = filter_querystring(filters)
        stack_by = request.GET.get("stack_by") or "model"
        context = {
            "page": page,
            "filters": filters,
            "query": query,
            "options": filter_options(filters=filters),
            "ranges": [*RANGES, "mtd"],
            "range_links": {
                key: f"?{urlencode({'range': key, **{k: v for k, v in filters.as_query().items() if k not in ('start', 'end')}}, doseq=True)}"
                for key in [*RANGES, "mtd"]
            },
            "stack_choices": list(STACK_DIMENSIONS) if page.key == "spend" else [],
            "stack_by": stack_by,
            "is_admin": roles.is_admin(request.user),
        }
        return render(request, self.template_name, context)


class OverviewView(DashboardPageView):
    page_name = "overview"


class SpendView(DashboardPageView):
    page_name = "spend"


class SavingsView(DashboardPageView):
    page_name = "savings"


class QualityView(DashboardPageView):
    page_name = "quality"


class BudgetsView(DashboardPageView):
    page_name = "budgets"


class ExportListView(ReaderRequiredMixin, View):
    """Exports of raw calls are long work: requested here, written by Celery.
    Exporting changes nothing Governor governs, so managers may do it."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            filters = filter_from_query(request.GET)
        except FilterError as exc:
            return HttpResponseBadRequest(
                f"Bad filter: {exc.field}: {exc.message}", content_type="text/plain"
            )
        jobs = list(ExportJob.objects.select_related("requested_by")[:20])
        return render(
            request,
            "dashboard/exports.html",
            {
                "jobs": jobs,
                "filters": filters,
                "query": filter_querystring(filters),
                "options": filter_options(filters=filters),
                "ranges": [*RANGES, "mtd"],
                "range_links": {},
            },
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            filters = filter_from_query(request.POST)
        except FilterError as exc:
            return HttpResponseBadRequest(
                f"Bad filter: {exc.field}: {exc.message}", content_type="text/plain"
            )
        job = export_job_create(actor=request.user, filters=filters.as_query())
        return redirect("dashboard:export-detail", pk=job.pk)


class ExportDetailView(ReaderRequiredMixin, View):
    def get(self, request: HttpRequest, pk) -> HttpResponse:
        job = get_object_or_404(ExportJob, pk=pk)
        return render(request, "dashboard/export_detail.html", {"job": job})


class ExportDownloadView(ReaderRequiredMixin, View):
    def get(self, request: HttpRequest, pk) -> FileResponse:
        job = get_object_or_404(ExportJob, pk=pk, status=JobStatus.DONE)
        path = exports_dir() / job.file_name
        if not job.file_name or not path.exists():
            raise Http404("The export file is gone; request the export again.")
        return FileResponse(
            path.open("rb"), as_attachment=True, filename=job.file_name, content_type="text/csv"
        )
