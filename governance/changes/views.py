"""The change-request pages: what waits for a second admin (with its diff),
emergency changes to review, the history, and the four-eyes switch. Managers
read; admins decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.views import View

from governance.accounts import roles
from governance.accounts.permissions import AdminRequiredMixin, ReadOrAdminMixin
from governance.audit.services import actor_label_for
from governance.changes.selectors import (
    changes_awaiting_review,
    changes_history,
    changes_pending,
    four_eyes_on,
)
from governance.changes.services import (
    ChangeRefused,
    change_approve,
    change_reject,
    change_review,
    four_eyes_set,
)
from governance.core.errors import FieldError


class ChangesPage(LoginRequiredMixin, ReadOrAdminMixin, View):
    def get(self, request):
        me = actor_label_for(request.user)
        return render(
            request,
            "changes/changes.html",
            {
                "four_eyes": four_eyes_on(),
                "pending": changes_pending(),
                "awaiting_review": changes_awaiting_review(),
                "history": changes_history(),
                "can_change": roles.is_admin(request.user),
                "me": me,
            },
        )


class ChangeDecisionPage(LoginRequiredMixin, AdminRequiredMixin, View):
    def post(self, request, pk: int):
        decision = request.POST.get("decision", "")
        reason = request.POST.get("reason", "")
        try:
            if decision == "approve":
                change = change_approve(change_id=pk, actor=request.user, reason=reason)
                if change.status == "stale":
                    messages.error(
                        request,
                        f"Change #{pk} is stale: {change.target} changed since it was "
                        "requested. Nothing was applied.",
                    )
                else:
                    messages.success(request, f"Change #{pk} approved and applied.")
            elif decision == "reject":
                change_reject(change_id=pk, actor=request.user, reason=reason)
                messages.success(request, f"Change #{pk} rejected.")
            elif decision == "review":
                change_review(change_id=pk, actor=request.user, reason=reason)
                messages.success(request, f"Emergency change #{pk} reviewed.")
            else:
                messages.error(request, "Choose approve, reject or review.")
        except (ChangeRefused, FieldError) as exc:
            messages.error(request, f"Change #{pk}: {exc.message}")
        return redirect("changes:list")


class FourEyesPage(LoginRequiredMixin, AdminRequiredMixin, View):
    def post(self, request):
        on = request.POST.get("four_eyes") == "on"
        try:
            four_eyes_set(on=on, actor=request.user, reason=request.POST.get("reason", ""))
        except FieldError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Four-eyes approval is {'on' if on else 'off'}.")
        return redirect("changes:list")
