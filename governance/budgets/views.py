from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import FormView, TemplateView

from governance.accounts import roles
from governance.accounts.permissions import AdminRequiredMixin, ReaderRequiredMixin
from governance.budgets.forms import BudgetForm
from governance.budgets.models import Budget
from governance.budgets.selectors import budgets_status
from governance.budgets.services import EDITABLE_FIELDS, budget_save
from governance.changes.models import ChangeKind
from governance.changes.selectors import four_eyes_on
from governance.changes.services import BUDGET_GATED_FIELDS, change_from_page, waiting_message
from governance.core.errors import FieldError


class BudgetListPage(ReaderRequiredMixin, TemplateView):
    template_name = "budgets/list.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "statuses": budgets_status(now=timezone.now()),
            "can_edit": roles.is_admin(self.request.user),
        }


class BudgetEditPage(AdminRequiredMixin, FormView):
    """Create a budget (no pk) or change one; the service validates and audits."""

    template_name = "budgets/edit.html"
    form_class = BudgetForm

    def dispatch(self, request, *args, **kwargs):
        pk = kwargs.get("pk")
        self.budget = (
            get_object_or_404(Budget.objects.select_related("team"), pk=pk) if pk else None
        )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        if self.budget is None:
            return super().get_initial()
        return {**{f: getattr(self.budget, f) for f in EDITABLE_FIELDS}, "team": self.budget.team}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.budget is not None:
            form.fields["team"].disabled = True
        return form

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "budget": self.budget}

    def form_valid(self, form):
        values = {f: form.cleaned_data[f] for f in EDITABLE_FIELDS}
        if self.budget is not None and four_eyes_on():
            try:
                waiting = change_from_page(
                    kind=ChangeKind.BUDGET_UPDATE,
                    payload={"id": self.budget.pk, "values": values},
                    actor=self.request.user,
                    reason=form.cleaned_data["reason"] or "changed on the budget page",
                    needs_approval=any(
                        values[f] != getattr(self.budget, f) for f in BUDGET_GATED_FIELDS
                    ),
                )
            except FieldError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                return self.form_invalid(form)
            if waiting is not None:
                messages.info(self.request, waiting_message(waiting))
            else:
                messages.success(self.request, f"Saved budget {self.budget}.")
            return redirect("budgets:list")
        try:
            budget = budget_save(
                team=form.cleaned_data["team"] if self.budget is None else None,
                budget=self.budget,
                actor=self.request.user,
                reason=form.cleaned_data["reason"],
                **values,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        messages.success(self.request, f"Saved budget {budget}.")
        return redirect("budgets:list")
