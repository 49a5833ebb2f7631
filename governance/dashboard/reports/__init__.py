"""What each dashboard page shows: the shared page model in `base`, one module per page."""

from governance.dashboard.reports.base import Metric, Page, Table
from governance.dashboard.reports.budgets import budgets_page
from governance.dashboard.reports.overview import overview_page
from governance.dashboard.reports.quality import quality_page
from governance.dashboard.reports.savings import savings_page
from governance.dashboard.reports.spend import spend_page

__all__ = [
    "Metric",
    "Page",
    "Table",
    "budgets_page",
    "overview_page",
    "quality_page",
    "savings_page",
    "spend_page",
]
