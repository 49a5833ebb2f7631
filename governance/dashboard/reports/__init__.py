"""What each dashboard page shows: the shared page model in `base`, one module per page."""

from governance.dashboard.reports.base import (
    Metric,
    Page,
    Table,
    budgets_page,
    overview_page,
    quality_page,
    savings_page,
    spend_page,
)

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
