"""Advisor pages for admins: the tolerance form, "Draft this plan" and
starting a pilot. Reading the plan is the Savings page's job."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import FormView

from governance.accounts.models import Team
from governance.accounts.permissions import AdminRequiredMixin
from governance.advisor.api import recommendation_for
from governance.advisor.forms import ToleranceForm
from governance.advisor.models import QualityTolerance
from governance.advisor.selectors import ESCALATE, MINI, OPTION_LABELS, tolerance_pp
from governance.advisor.services import (
    pilot_percentage,
    pilot_rule,
    pilot_start,
    plan_adopt,
    plan_rules,
    policy_with_plan,
    tolerance_set,
)
from governance.changes.models import ChangeKind
from governance.changes.selectors import four_eyes_on, tolerance_text
from governance.changes.services import change_from_page, waiting_message
from governance.core.errors import FieldError
from governance.engine.default_policy import DEFAULT_POLICY
from governance.policies.selectors import policy_current

# Where the policy editor finds a draft handed to it (see policies.views).
DRAFT_SESSION_KEY = "policy_draft"


class ToleranceView(AdminRequiredMixin, FormView):
    template_name = "advisor/tolerance.html"
    form_class = ToleranceForm

    def get_initial(self):
        return {"tolerance_pp": tolerance_pp(team_id=None)}

    def get_context_data(self, **kwargs):
        rows = QualityTolerance.objects.select_related("team").order_by("scope")
        return {**super().get_context_data(**kwargs), "tolerances": rows}

    def form_valid(self, form):
        team = form.cleaned_data["team"]
        if four_eyes_on():
            # A tolerance moves quality: like the admin API's, it waits for a second admin.
            try:
                waiting = change_from_page(
                    kind=ChangeKind.TOLERANCE_SET,
                    payload={
                        "team": team.slug if team else None,
                        "tolerance_pp": tolerance_text(form.cleaned_data["tolerance_pp"]),
                    },
                    actor=self.request.user,
                    reason=form.cleaned_data["reason"],
                )
            except FieldError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                return self.form_invalid(form)
            if waiting is not None:
                messages.info(self.request, waiting_message(waiting))
                return redirect("advisor:tolerance")
        else:
            tolerance_set(
                team=team,
                tolerance_pp=form.cleaned_data["tolerance_pp"],
                actor=self.request.user,
                reason=form.cleaned_data["reason"],
            )
        messages.success(
            self.request,
            f"Tolerance of {team.slug if team else 'the organisation'} set to "
            f"{form.cleaned_data['tolerance_pp']} pp.",
        )
        return redirect("advisor:tolerance")


def _bad(exc: FieldError) -> HttpResponse:
    return HttpResponseBadRequest(
        f"Bad parameter: {exc.field}: {exc.message}", content_type="text/plain"
    )


class DraftPlanView(AdminRequiredMixin, View):
    """ "Draft this plan": the recommended plan as policy rules before the
    catch-all, handed to the policy editor for dry run, replay and publish."""

    def post(self, request):
        try:
            rec = recommendation_for(query=request.POST, auth=None)
        except FieldError as exc:
            return _bad(exc)
        team = Team.objects.get(slug=rec.team) if rec.team else None
        plan = plan_adopt(recommendation=rec, team=team, actor=request.user)
        current = policy_current()
        document = policy_with_plan(
            policy=dict(current.document if current else DEFAULT_POLICY),
            rules=plan_rules(rows=rec.rows, marker=plan.plan_marker),
        )
        request.session[DRAFT_SESSION_KEY] = {
            "document": document,
            "note": f"Advisor plan {plan.pk}: {rec.monthly_saving_usd} USD a month, "
            f"tolerance {rec.tolerance_pp} pp",
        }
        return redirect(reverse("policies:editor") + "?" + urlencode({"drafted": "advisor"}))


def _pilot_subject(query):
    """The recommendation, task type, option and team a pilot request names."""
    rec = recommendation_for(query=query, auth=None)
    task_type = (query.get("task_type") or "").strip()
    option = (query.get("option") or "").strip()
    task = next((r.task for r in rec.rows if r.task_type == task_type), None)
    if task is None:
        raise FieldError("task_type", f"no task type {task_type!r} in the plan")
    if option not in (MINI, ESCALATE):
        raise FieldError("option", f"must be {MINI} or {ESCALATE}")
    team = Team.objects.get(slug=rec.team) if rec.team else None
    return rec, task, option, team


class PilotView(AdminRequiredMixin, View):
    """A pilot is offered (GET: what it would do) and created only on confirmation (POST)."""

    def get(self, request):
        try:
            rec, task, option, team = _pilot_subject(request.GET)
        except FieldError as exc:
            return _bad(exc)
        chosen = task.option(option)
        if not chosen.runs_needed:
            return _bad(FieldError("option", "the evidence already decides this option"))
        percentage = pilot_percentage(
            runs_needed=chosen.runs_needed, monthly_jobs=task.monthly_jobs
        )
        return render(
            request,
            "advisor/pilot.html",
            {
                "task": task,
                "option": chosen,
                "label": OPTION_LABELS[option],
                "percentage": percentage,
                "fields": {k: v for k, v in request.GET.items()},
                "tolerance_pp": rec.tolerance_pp,
            },
        )

    def post(self, request):
        try:
            _, task, option, team = _pilot_subject(request.POST)
            pilot = pilot_start(task=task, option=option, team=team, actor=request.user)
        except FieldError as exc:
            return _bad(exc)
        messages.success(
            request,
            f"Pilot started: {pilot.percentage} % of {pilot.task_type} through flag {pilot.flag_key}.",
        )
        # The flag splits; a policy rule that reads it routes. Both are drafted
        # for the admin to dry-run and publish, like any other change.
        current = policy_current()
        request.session[DRAFT_SESSION_KEY] = {
            "document": policy_with_plan(
                policy=dict(current.document if current else DEFAULT_POLICY),
                rules=[pilot_rule(pilot=pilot, task=task)],
            ),
            "note": f"Pilot {pilot.flag_key}: {pilot.percentage} % of {pilot.task_type}",
        }
        return redirect(reverse("policies:editor") + "?" + urlencode({"drafted": "pilot"}))
