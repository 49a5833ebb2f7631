from __future__ import annotations

from django.utils import timezone
from django.views.generic import TemplateView

from governance.accounts.permissions import ReaderRequiredMixin
from governance.budgets.selectors import budgets_status


class BudgetListPage(ReaderRequiredMixin, TemplateView):
    template_name = "budgets/list.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "statuses": budgets_status(now=timezone.now()),
        }
