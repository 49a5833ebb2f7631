"""The policy page. Managers read the policy in force as rules in words, its
versions (who, when, why) and the difference between any two, and model
health. Admins also edit the rules (as rows, or as JSON), validate, dry-run a
context, replay recent calls under the draft (a background job with its own
page), publish and roll back."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from governance.accounts import roles
from governance.accounts.models import Team
from governance.accounts.permissions import AdminRequiredMixin, ReadOrAdminMixin
from governance.catalog.selectors import model_tiers
from governance.changes.models import ChangeKind
from governance.changes.selectors import four_eyes_on
from governance.changes.services import change_from_page, waiting_message
from governance.core.jobs import JobStatus
from governance.core.parsers import BodyError, json_parse
from governance.engine.context import (
    CONTEXT_FIELDS,
    ENVIRONMENTS,
    RISKS,
    Context,
    ContextInvalid,
    context_parse,
)
from governance.engine.default_policy import DEFAULT_POLICY, policy_with_task_on_mini
from governance.policies.models import PolicyVersion
from governance.policies.readable import editor_choices, policy_diff, policy_readable
from governance.policies.selectors import (
    Replay,
    model_health_list,
    policy_current,
    policy_dry_run,
    policy_versions,
    replay_job_get,
    replay_jobs_recent,
)
from governance.policies.services import (
    PolicyInvalid,
    policy_check,
    policy_publish,
    policy_rollback,
    replay_job_create,
)

MAX_REPLAY_DAYS = 90
MAX_NAME = 64


class PolicyEditorPage(ReadOrAdminMixin, TemplateView):
    template_name = "policies/editor.html"

    def _base(self, **extra):
        current = policy_current()
        document = current.document if current else DEFAULT_POLICY
        versions = policy_versions()
        return {
            "can_change": roles.is_admin(self.request.user),
            "current": current,
            "readable": policy_readable(document),
            "versions": versions,
            **_comparison(versions, self.request.GET),
            "health": model_health_list(),
            "replays": replay_jobs_recent(),
            "teams": Team.objects.values_list("slug", flat=True),
            "risks": RISKS,
            "environments": ENVIRONMENTS,
            "document_text": json.dumps(document, indent=2),
            "editor_choices": editor_choices(models=sorted(model_tiers())),
            "form": {"risk": "medium", "environment": "ci", "days": 7},
            **extra,
        }

    def get(self, request, *args, **kwargs):
        # Drafts from the savings page and replays are the admins' work.
        if roles.is_admin(request.user) and "move_to_mini" in request.GET:
            return self._draft_task_on_mini(request.GET)
        # A draft handed over by another page (the advisor's "Draft this plan").
        handed = request.session.pop("policy_draft", None) if roles.is_admin(request.user) else None
        if handed and request.GET.get("drafted"):
            return self.render_to_response(
                self._base(
                    document_text=json.dumps(handed["document"], indent=2),
                    form={
                        "risk": "medium",
                        "environment": "ci",
                        "days": 30,
                        "note": handed["note"],
                    },
                    handed_note=handed["note"],
                )
            )
        replay_id = request.GET.get("replay") if roles.is_admin(request.user) else None
        if not replay_id:
            context = self._base()
            return self.render_to_response(
                context, status=400 if context["compare_errors"] else 200
            )
        # Back from a replay's page: its draft and days, to edit further.
        job = _replay_job_or_404(replay_id)
        return self.render_to_response(
            self._base(
                document_text=json.dumps(job.document, indent=2),
                form={"risk": "medium", "environment": "ci", "days": job.days},
            )
        )

    def _draft_task_on_mini(self, query):
        """From the savings page: the published policy with a last rule that
        moves one task type to the mini model, to dry-run, replay and publish.
        Nothing is saved until the admin publishes."""
        fields = {k: (query.get(k) or "").strip() for k in ("move_to_mini", "mini", "full")}
        bad = [k for k, v in fields.items() if not v or len(v) > MAX_NAME]
        if bad:
            return self.render_to_response(
                self._base(errors=[f"{k}: required, at most {MAX_NAME} characters" for k in bad]),
                status=400,
            )
        current = policy_current()
        draft = policy_with_task_on_mini(
            current.document if current else DEFAULT_POLICY,
            task_type=fields["move_to_mini"],
            mini=fields["mini"],
            full=fields["full"],
        )
        return self.render_to_response(
            self._base(
                document_text=json.dumps(draft, indent=2),
                form={
                    "task_type": fields["move_to_mini"],
                    "risk": "medium",
                    "environment": "ci",
                    "days": 30,
                },
                drafted=fields,
            )
        )

    def post(self, request, *args, **kwargs):
        text = request.POST.get("document", "")
        action = request.POST.get("action", "dry_run")
        form = {
            k: request.POST.get(k, "")
            for k in (
                "task_type",
                "risk",
                "environment",
                "team",
                "client",
                "attributes",
                "days",
                "note",
            )
        }
        ctx = self._base(document_text=text, form=form)
        try:
            document = json_parse(text.encode())
        except BodyError as exc:
            ctx["errors"] = [f"document: {exc.message}"]
            return self.render_to_response(ctx, status=400)
        errors = policy_check(document=document)
        if errors:
            ctx["errors"] = errors
            return self.render_to_response(ctx, status=400)
        if action == "publish":
            if four_eyes_on():
                waiting = change_from_page(
                    kind=ChangeKind.POLICY_PUBLISH,
                    payload={"document": document, "note": form["note"]},
                    actor=request.user,
                    reason=form["note"] or "published from the policy editor",
                )
                if waiting is not None:
                    messages.info(request, waiting_message(waiting))
                    return redirect("policies:editor")
                version = policy_current()
            else:
                try:
                    version = policy_publish(
                        document=document, actor=request.user, note=form["note"]
                    )
                except PolicyInvalid as exc:
                    ctx["errors"] = exc.errors
                    return self.render_to_response(ctx, status=400)
            messages.success(request, f"Published policy version {version.number}.")
            return redirect("policies:editor")
        if action == "replay":
            try:
                days = int(form["days"] or 7)
            except ValueError:
                days = 0
            if not 1 <= days <= MAX_REPLAY_DAYS:
                ctx["errors"] = [f"days: must be a whole number from 1 to {MAX_REPLAY_DAYS}"]
                return self.render_to_response(ctx, status=400)
            job = replay_job_create(actor=request.user, document=document, days=days)
            return redirect("policies:replay", pk=job.pk)
        try:
            context = _dry_run_context(form)
        except ContextInvalid as exc:
            ctx["errors"] = [
                f"{field}: {' '.join(problems)}" for field, problems in exc.errors.items()
            ]
            return self.render_to_response(ctx, status=400)
        ctx["decision"] = policy_dry_run(document=document, context=context).to_dict()
        ctx["valid"] = True
        return self.render_to_response(ctx)


def _comparison(versions: list[PolicyVersion], query) -> dict:
    """`?compare=A&with=B`: what changed from version A to version B."""
    numbers = [v.number for v in versions]
    raw = (query.get("compare", ""), query.get("with", ""))
    defaults = (numbers[1], numbers[0]) if len(numbers) > 1 else (None, None)
    chosen: dict = {"compare_from": defaults[0], "compare_to": defaults[1], "compare_errors": []}
    if not any(raw):
        return chosen
    by_number = {str(v.number): v for v in versions}
    for name, value in zip(("compare", "with"), raw, strict=True):
        if value not in by_number:
            chosen["compare_errors"].append(
                f"{name}: there is no policy version {value or '(empty)'}"
            )
    if chosen["compare_errors"]:
        return chosen
    older, newer = by_number[raw[0]], by_number[raw[1]]
    chosen.update(
        compare_from=older.number,
        compare_to=newer.number,
        diff=policy_diff(older.document, newer.document),
    )
    return chosen


def _dry_run_context(form: dict[str, str]) -> Context:
    """The dry run's context, read by the same parser as POST /api/v1/decide
    (a field left empty on the form is a field not sent), plus the team and
    client that the API takes from the key."""
    try:
        attributes = json_parse((form["attributes"] or "{}").encode())
    except BodyError as exc:
        raise ContextInvalid(
            {
                "attributes": [
                    f'Must be a JSON object such as {{"repo": "acme/payments"}}: {exc.message}'
                ]
            }
        ) from None
    fields = {name: form[name] for name in CONTEXT_FIELDS if form.get(name)}
    context = context_parse({**fields, "attributes": attributes})
    return context._replace(team=form["team"] or None, client=form["client"] or None)


class PolicyRollbackView(AdminRequiredMixin, View):
    # POST only: as a TemplateView without a template, a GET was a 500.
    def post(self, request, number: int):
        if not PolicyVersion.objects.filter(number=number).exists():
            messages.error(request, f"There is no policy version {number}.")
            return redirect("policies:editor")
        reason = request.POST.get("reason", "")
        if four_eyes_on():
            # A rollback is an emergency path: at once, reviewed afterwards.
            change_from_page(
                kind=ChangeKind.POLICY_ROLLBACK,
                payload={"number": number},
                actor=request.user,
                reason=reason or f"rollback to v{number}",
                emergency=True,
            )
            restored = policy_current()
        else:
            restored = policy_rollback(number=number, actor=request.user, reason=reason)
        messages.success(
            request,
            f"Rolled back: version {restored.number if restored else '?'} restores version {number}.",
        )
        return redirect("policies:editor")


def _replay_job_or_404(job_id):
    try:
        job = replay_job_get(job_id=uuid.UUID(str(job_id)))
    except ValueError:
        job = None
    if job is None:
        raise Http404("No such replay.")
    return job


class ReplayJobPage(AdminRequiredMixin, View):
    """A replay's progress while Celery runs it, then its result."""

    def get(self, request, pk):
        job = _replay_job_or_404(pk)
        replay = Replay.from_json(job.result) if job.status == JobStatus.DONE else None
        return render(request, "policies/replay.html", {"job": job, "replay": replay})
