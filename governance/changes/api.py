"""The admin API (/api/v1/admin/): what admins do in the pages, for scripts and
CI. A key with the `admin` scope or a signed-in admin. Every write needs a
reason, goes through `change_make` (so four-eyes and If-Match apply alike)
and answers with the new state and its version (also the ETag header); with
four-eyes on, a change that waits for approval answers 202 with its change
request instead."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.fields import empty
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.authentication import ApiKeyAuthentication
from governance.accounts.models import ApiKey, Team
from governance.accounts.permissions import IsAdminOrAdminKey
from governance.advisor.models import DEFAULT_TOLERANCE_PP
from governance.advisor.services import TOLERANCE_MAX_PP
from governance.audit.models import WebhookEndpoint
from governance.audit.services import webhook_endpoint_create, webhook_endpoint_set_active
from governance.budgets.models import Budget
from governance.budgets.services import budget_save
from governance.changes import selectors as sel
from governance.changes.models import ChangeKind, ChangeRequest
from governance.changes.services import (
    BUDGET_GATED_FIELDS,
    FLAG_META,
    ChangeRefused,
    Outcome,
    VersionConflict,
    budget_values,
    change_approve,
    change_make,
    change_reject,
    change_review,
    config_diff,
    flag_changes,
    four_eyes_set,
    reason_required,
    tolerance_value,
    version_check,
)
from governance.core.errors import FieldError
from governance.engine.context import ContextInvalid, context_parse
from governance.flags.models import Flag
from governance.flags.services import flag_create, flag_state
from governance.policies.models import PolicyVersion
from governance.policies.selectors import policy_dry_run, replay_job_get
from governance.policies.services import policy_check, replay_job_create

TAG = ["admin"]
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The version (ETag) you last read; a stale one is refused with 412.",
)
REASON = serializers.CharField(help_text="Why; it goes into the audit log.")
STATE = OpenApiResponse(description="The new state, with its `version` (also the ETag header).")
WAITING = OpenApiResponse(
    description="Four-eyes is on: the change request that waits for approval."
)
STALE = OpenApiResponse(description="If-Match named a version that is no longer current.")
# What a write to a versioned thing may answer.
WRITTEN = {200: STATE, 202: WAITING, 400: OpenApiTypes.OBJECT, 412: STALE}
MAX_REPLAY_DAYS = 90


def admin_schema(
    operation_id: str | None,
    responses: Any,
    *,
    request: Any = empty,
    if_match: bool = False,
    parameters: list[OpenApiParameter] | None = None,
    description: str | None = None,
    asks: tuple[str, dict[str, Any]] | None = None,
    answers: tuple[str, dict[str, Any]] | None = None,
) -> Any:
    """The schema of one admin operation: tagged admin, with the If-Match header where
    it writes a versioned thing, and an example of what is sent (`asks`) or of what a
    200 answers (`answers`), each a title and a value."""
    examples = []
    if asks is not None:
        examples.append(OpenApiExample(asks[0], value=asks[1], request_only=True))
    if answers is not None:
        examples.append(
            OpenApiExample(answers[0], value=answers[1], response_only=True, status_codes=["200"])
        )
    return extend_schema(
        tags=TAG,
        operation_id=operation_id,
        parameters=[IF_MATCH] if if_match else parameters,
        request=request,
        responses=responses,
        description=description,
        examples=examples or None,
    )


def admin_fields_schema(
    operation_id: str, asks: tuple[str, dict[str, Any]], *, creates: bool = False
) -> Any:
    """A write whose body is a JSON object of the thing's fields and the reason: it
    creates one (201), or changes some fields of a versioned one (If-Match; 202 when
    it waits for approval)."""
    if creates:
        return admin_schema(
            operation_id,
            {201: STATE, 400: OpenApiTypes.OBJECT},
            request=OpenApiTypes.OBJECT,
            asks=asks,
        )
    return admin_schema(
        operation_id, WRITTEN, request=OpenApiTypes.OBJECT, if_match=True, asks=asks
    )


def change_json(change: ChangeRequest) -> dict[str, Any]:
    return {
        "id": change.pk,
        "kind": change.kind,
        "target": change.target,
        "status": change.status,
        "emergency": change.emergency,
        "diff": change.diff,
        "author": change.author_label,
        "reason": change.reason,
        "decided_by": change.decided_by_label or None,
        "decision_reason": change.decision_reason or None,
        "decided_at": change.decided_at.isoformat() if change.decided_at else None,
        "reviewed_by": change.reviewed_by_label or None,
        "created_at": change.created_at.isoformat(),
    }


def actor_of(request) -> Any:
    """The audit's actor: the person, or the key (its client and prefix)."""
    if isinstance(request.auth, ApiKey):
        client = request.auth.client
        return f"client:{client.team.slug}/{client.name} key {request.auth.prefix}"
    return request.user


def _versioned(state: dict[str, Any], version: str, code: int = 200) -> Response:
    response = Response({**state, "version": version}, status=code)
    response["ETag"] = version
    return response


class AdminApiView(APIView):
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [IsAdminOrAdminKey]

    def handle_exception(self, exc):
        if isinstance(exc, VersionConflict):
            response = Response(
                {
                    "detail": "Someone changed this since you read it; read it again "
                    "and make your change on the current version.",
                    "current_version": exc.current,
                },
                status=status.HTTP_412_PRECONDITION_FAILED,
            )
            response["ETag"] = exc.current
            return response
        return super().handle_exception(exc)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A body is read, and refused if it is not JSON a client may send, once
        # the caller is known and before anything is looked up, so that a bad
        # body gets the same 400 on every admin route.
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.META.get(
            "CONTENT_LENGTH", "0"
        ) not in ("", "0"):
            self.body()

    def body(self) -> dict[str, Any]:
        data = self.request.data
        if not isinstance(data, dict):
            raise ParseError("The body must be a JSON object.")
        return data

    def reason(self) -> str:
        return reason_required(str(self.body().get("reason") or ""))

    def if_match(self) -> str:
        return self.request.headers.get("If-Match", "")

    def make(self, kind: str, payload: dict, **options: Any) -> Outcome:
        return change_make(
            kind=kind,
            payload=payload,
            actor=actor_of(self.request),
            reason=self.reason(),
            if_match=self.if_match(),
            **options,
        )


def _waiting(outcome: Outcome) -> Response | None:
    if outcome.waiting and outcome.request is not None:
        return Response(
            {"change_request": change_json(outcome.request)}, status=status.HTTP_202_ACCEPTED
        )
    return None


# --- flags ---------------------------------------------------------------------------

FLAG_EXAMPLE = {
    "key": "peak-hours",
    "type": "boolean",
    "enabled": True,
    "variants": {"on": True, "off": False},
    "default_variant": "on",
    "off_variant": "off",
    "rules": [],
    "rollout": [],
    "schedule": {"timezone": "UTC", "windows": [{"start": "09:00", "end": "18:00"}]},
    "description": "Mini-model flows during office hours",
    "owner": "platform",
    "expires_at": None,
}


def _flag_or_404(key: str) -> Flag:
    flag = Flag.objects.filter(key=key).first()
    if flag is None:
        raise NotFound(f"No flag has the key {key!r}.")
    return flag


def _flag_answer(key: str, code: int = 200) -> Response:
    flag = _flag_or_404(key)
    return _versioned(flag_state(flag), sel.flag_version(flag), code)


class FlagsAdminApi(AdminApiView):
    @admin_schema("admin_flags_list", {200: OpenApiTypes.OBJECT})
    def get(self, request):
        flags = Flag.objects.order_by("key")
        return Response(
            {"flags": [{**flag_state(f), "version": sel.flag_version(f)} for f in flags]}
        )

    @admin_fields_schema(
        "admin_flags_create",
        creates=True,
        asks=(
            "A scheduled flag",
            {**FLAG_EXAMPLE, "reason": "pilot the mini model in office hours"},
        ),
    )
    def post(self, request):
        data = self.body()
        reason = self.reason()
        key = data.get("key")
        if not isinstance(key, str) or not key:
            raise FieldError("key", "name the flag")
        values = flag_changes({k: v for k, v in data.items() if k not in ("key", "reason")})
        for field in ("variants", "default_variant"):
            if field not in values:
                raise FieldError(field, "is required")
        flag_create(
            key=key,
            flag_type=values.pop("type", "boolean"),
            variants=values.pop("variants"),
            default_variant=values.pop("default_variant"),
            actor=actor_of(request),
            reason=reason,
            **values,
        )
        return _flag_answer(key, status.HTTP_201_CREATED)


class FlagAdminApi(AdminApiView):
    @admin_schema("admin_flag_get", {200: STATE})
    def get(self, request, key: str):
        return _flag_answer(key)

    @admin_fields_schema(
        "admin_flag_update",
        (
            "Start an hour earlier",
            {
                "schedule": {"timezone": "UTC", "windows": [{"start": "08:00", "end": "18:00"}]},
                "reason": "the Berlin team starts at 8",
            },
        ),
    )
    def patch(self, request, key: str):
        _flag_or_404(key)
        changes = {k: v for k, v in self.body().items() if k != "reason"}
        flag_changes(changes)  # names a bad field before anything else
        outcome = self.make(
            ChangeKind.FLAG_UPDATE,
            {"key": key, "changes": changes},
            # Only targeting and state need a second admin; words about the flag do not.
            needs_approval=bool(set(changes) - set(FLAG_META)),
        )
        return _waiting(outcome) or _flag_answer(key)


class FlagToggleAdminApi(AdminApiView):
    @admin_schema(
        "admin_flag_toggle",
        {200: STATE, 202: WAITING, 412: STALE},
        request=inline_serializer(
            "AdminFlagToggle", {"enabled": serializers.BooleanField(), "reason": REASON}
        ),
        if_match=True,
        description="Turning a flag off is the kill switch: it takes effect at once even "
        "under four-eyes, and raises an alert for a second admin to review.",
        asks=("Kill switch", {"enabled": False, "reason": "mini model failing generated tests"}),
    )
    def post(self, request, key: str):
        _flag_or_404(key)
        enabled = self.body().get("enabled")
        if not isinstance(enabled, bool):
            raise FieldError("enabled", "must be true or false")
        outcome = self.make(
            ChangeKind.FLAG_TOGGLE, {"key": key, "enabled": enabled}, emergency=not enabled
        )
        return _waiting(outcome) or _flag_answer(key)


class FlagArchiveAdminApi(AdminApiView):
    @admin_schema(
        "admin_flag_archive",
        {200: STATE, 202: WAITING, 412: STALE},
        request=inline_serializer("AdminFlagArchive", {"reason": REASON}),
        if_match=True,
    )
    def post(self, request, key: str):
        _flag_or_404(key)
        outcome = self.make(ChangeKind.FLAG_ARCHIVE, {"key": key})
        return _waiting(outcome) or _flag_answer(key)


# --- budgets -------------------------------------------------------------------------


def _budget_or_404(pk: int) -> Budget:
    budget = Budget.objects.select_related("team").filter(pk=pk).first()
    if budget is None:
        raise NotFound(f"There is no budget {pk}.")
    return budget


def _budget_answer(pk: int, code: int = 200) -> Response:
    budget = _budget_or_404(pk)
    return _versioned(sel.budget_state(budget), sel.budget_version(budget), code)


class BudgetsAdminApi(AdminApiView):
    @admin_schema("admin_budgets_list", {200: OpenApiTypes.OBJECT})
    def get(self, request):
        budgets = Budget.objects.select_related("team").order_by("team__slug", "name")
        return Response(
            {
                "budgets": [
                    {**sel.budget_state(b), "version": sel.budget_version(b)} for b in budgets
                ]
            }
        )

    @admin_fields_schema(
        "admin_budgets_create",
        creates=True,
        asks=(
            "A team's monthly budget",
            {
                "team": "payments",
                "name": "Monthly",
                "limit": "1200",
                "fallback_threshold_pct": "90",
                "reserve_pct": "5",
                "reason": "payments joins the pilot",
            },
        ),
    )
    def post(self, request):
        data = dict(self.body())
        reason = self.reason()
        slug = data.pop("team", None)
        data.pop("reason", None)
        team = None
        if slug is not None:
            team = Team.objects.filter(slug=slug).first()
            if team is None:
                raise FieldError("team", f"there is no team {slug!r}")
        try:
            budget = budget_save(
                team=team, actor=actor_of(request), reason=reason, **budget_values(data)
            )
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise FieldError(field, messages[0]) from None
        return _budget_answer(budget.pk, status.HTTP_201_CREATED)


class BudgetAdminApi(AdminApiView):
    @admin_schema("admin_budget_get", {200: STATE})
    def get(self, request, pk: int):
        return _budget_answer(pk)

    @admin_fields_schema(
        "admin_budget_update",
        ("Raise the limit", {"limit": "1500", "reason": "quarter-end release"}),
    )
    def patch(self, request, pk: int):
        _budget_or_404(pk)
        values = {k: v for k, v in self.body().items() if k != "reason"}
        budget_values(values)
        outcome = self.make(
            ChangeKind.BUDGET_UPDATE,
            {"id": pk, "values": values},
            needs_approval=bool(set(values) & BUDGET_GATED_FIELDS),
        )
        return _waiting(outcome) or _budget_answer(pk)


# --- policies ------------------------------------------------------------------------


def _policy_answer(code: int = 200) -> Response:
    return _versioned(sel.policy_state(), sel.policy_version(), code)


def _document(data: dict) -> Any:
    document = data.get("document")
    if not isinstance(document, dict):
        raise FieldError("document", "send the policy document as a JSON object")
    return document


class PolicyAdminApi(AdminApiView):
    @admin_schema("admin_policy_get", {200: STATE})
    def get(self, request):
        return _policy_answer()


class PolicyValidateAdminApi(AdminApiView):
    @admin_schema(
        "admin_policy_validate",
        {
            200: inline_serializer(
                "AdminPolicyValidation",
                {
                    "valid": serializers.BooleanField(),
                    "errors": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
        request=inline_serializer("AdminPolicyDraft", {"document": serializers.DictField()}),
    )
    def post(self, request):
        errors = policy_check(document=_document(self.body()))
        return Response({"valid": not errors, "errors": errors})


class PolicyDryRunAdminApi(AdminApiView):
    @admin_schema(
        "admin_policy_dry_run",
        {200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        request=OpenApiTypes.OBJECT,
        asks=(
            "A draft against a context",
            {
                "document": {"rules": [], "defaults": {"model": "gpt-5-codex"}},
                "context": {"task_type": "refactor", "risk": "low", "team": "payments"},
            },
        ),
    )
    def post(self, request):
        data = self.body()
        document = data.get("document")
        if document is None:
            state = sel.policy_state()
            document = state["document"]
        elif (errors := policy_check(document=document)) != []:
            raise FieldError("document", errors[0])
        context_data = data.get("context") or {}
        if not isinstance(context_data, dict):
            raise FieldError("context", "must be a JSON object")
        fields = {k: v for k, v in context_data.items() if k not in ("team", "client")}
        try:
            context = context_parse(fields)
        except ContextInvalid as exc:
            return Response({"context": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        context = context._replace(
            team=context_data.get("team") or None, client=context_data.get("client") or None
        )
        return Response(policy_dry_run(document=document or {}, context=context).to_dict())


def _replay_json(job) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "status": job.status,
        "days": job.days,
        "done": job.done,
        "total": job.total,
        "error": job.error,
        "result": job.result,
    }


class ReplaysAdminApi(AdminApiView):
    @admin_schema(
        "admin_policy_replay_start",
        {202: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        request=inline_serializer(
            "AdminReplay",
            {
                "document": serializers.DictField(),
                "days": serializers.IntegerField(min_value=1, max_value=MAX_REPLAY_DAYS),
            },
        ),
    )
    def post(self, request):
        data = self.body()
        document = _document(data)
        errors = policy_check(document=document)
        if errors:
            raise FieldError("document", errors[0])
        days = data.get("days", 30)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_REPLAY_DAYS:
            raise FieldError("days", f"must be a whole number of days from 1 to {MAX_REPLAY_DAYS}")
        job = replay_job_create(actor=actor_of(request), document=document, days=days)
        return Response(_replay_json(job), status=status.HTTP_202_ACCEPTED)


class ReplayAdminApi(AdminApiView):
    @admin_schema("admin_policy_replay_get", {200: OpenApiTypes.OBJECT})
    def get(self, request, pk):
        job = replay_job_get(job_id=pk)
        if job is None:
            raise NotFound("No such replay.")
        return Response(_replay_json(job))


class PolicyPublishAdminApi(AdminApiView):
    @admin_schema(
        "admin_policy_publish",
        {201: STATE, 202: WAITING, 400: OpenApiTypes.OBJECT, 412: STALE},
        request=inline_serializer(
            "AdminPolicyPublish",
            {
                "document": serializers.DictField(),
                "note": serializers.CharField(required=False),
                "reason": REASON,
            },
        ),
        if_match=True,
    )
    def post(self, request):
        data = self.body()
        document = _document(data)
        errors = policy_check(document=document)
        if errors:
            raise FieldError("document", errors[0])
        outcome = self.make(
            ChangeKind.POLICY_PUBLISH,
            {"document": document, "note": str(data.get("note") or "")},
        )
        return _waiting(outcome) or _policy_answer(status.HTTP_201_CREATED)


class PolicyRollbackAdminApi(AdminApiView):
    @admin_schema(
        "admin_policy_rollback",
        {201: STATE, 400: OpenApiTypes.OBJECT, 412: STALE},
        request=inline_serializer(
            "AdminPolicyRollback",
            {
                "number": serializers.IntegerField(min_value=1, max_value=2**31 - 1),
                "reason": REASON,
            },
        ),
        if_match=True,
        description="An emergency path: applies at once even under four-eyes, and raises "
        "an alert for a second admin to review.",
    )
    def post(self, request):
        number = self.body().get("number")
        if isinstance(number, bool) or not isinstance(number, int):
            raise FieldError("number", "name the version to restore")
        if not PolicyVersion.objects.filter(number=number).exists():
            raise FieldError("number", f"there is no policy version {number}")
        self.make(ChangeKind.POLICY_ROLLBACK, {"number": number}, emergency=True)
        return _policy_answer(status.HTTP_201_CREATED)


# --- the quality tolerance ---------------------------------------------------------

TOLERANCE_HELP = (
    "Percentage points of generated-test pass rate the routing advisor may trade for a "
    f"saving: from 0 to {TOLERANCE_MAX_PP}, two decimals at most; "
    f"{sel.tolerance_text(DEFAULT_TOLERANCE_PP)} unless set. Under four-eyes a change "
    "waits for a second admin (202 with the change request)."
)
_TOLERANCE_FIELDS: dict[str, serializers.Field] = {
    "team": serializers.CharField(allow_null=True, help_text="null: the organisation"),
    "tolerance_pp": serializers.CharField(
        allow_null=True, help_text="Percentage points; a team without an override: null"
    ),
    "in_force_pp": serializers.CharField(
        required=False, help_text="A team's: its own tolerance, else the organisation's"
    ),
    "version": serializers.CharField(help_text="Also the ETag header; send it as If-Match"),
}
TOLERANCE_STATE = OpenApiResponse(
    response=inline_serializer(
        "AdminToleranceState",
        {
            **_TOLERANCE_FIELDS,
            "teams": inline_serializer(
                "AdminTeamTolerance", _TOLERANCE_FIELDS, many=True, required=False
            ),
        },
    ),
    description="The new state, with its `version` (also the ETag header).",
)
TOLERANCE_BODY = inline_serializer(
    "AdminTolerance",
    {"tolerance_pp": serializers.DecimalField(max_digits=5, decimal_places=2), "reason": REASON},
)
TOLERANCE_WRITTEN = {**WRITTEN, 200: TOLERANCE_STATE}


def tolerance_set_schema(operation_id: str, whose: str, asks: tuple[str, dict[str, Any]]) -> Any:
    return admin_schema(
        operation_id,
        TOLERANCE_WRITTEN,
        request=TOLERANCE_BODY,
        if_match=True,
        description=f"Set {whose}. {TOLERANCE_HELP}",
        asks=asks,
    )


def _team_or_404(slug: str) -> Team:
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise NotFound(f"There is no team {slug!r}.")
    return team


def _tolerance_answer(team: Team | None) -> Response:
    state = sel.tolerance_state(team)
    if team is None:
        teams = Team.objects.filter(slug__in=sel.tolerances()).order_by("slug")
        state["teams"] = [
            {**sel.tolerance_state(t), "version": sel.tolerance_version(t)} for t in teams
        ]
    return _versioned(state, sel.tolerance_version(team))


class ToleranceAdminView(AdminApiView):
    def tolerance_change(self, team: Team | None, value: str | None) -> Response:
        outcome = self.make(
            ChangeKind.TOLERANCE_SET,
            {"team": team.slug if team else None, "tolerance_pp": value},
        )
        return _waiting(outcome) or _tolerance_answer(team)

    def tolerance_given(self) -> str:
        data = self.body()
        if "tolerance_pp" not in data:
            raise FieldError("tolerance_pp", "is required: percentage points, such as 0.5")
        return tolerance_value("tolerance_pp", data["tolerance_pp"])


class ToleranceAdminApi(ToleranceAdminView):
    @admin_schema(
        "admin_tolerance_get",
        {200: TOLERANCE_STATE},
        description="The organisation's tolerance (`version` is its version) and every "
        "team's override, each with its own version.",
        answers=(
            "The organisation at 1.0 pp, payments at 0.5 pp",
            {
                "team": None,
                "tolerance_pp": "1.0",
                "teams": [
                    {
                        "team": "payments",
                        "tolerance_pp": "0.5",
                        "in_force_pp": "0.5",
                        "version": '"3f1c…"',
                    }
                ],
                "version": '"9a0b…"',
            },
        ),
    )
    def get(self, request):
        return _tolerance_answer(None)

    @tolerance_set_schema(
        "admin_tolerance_set",
        "the organisation's tolerance",
        (
            "Trade a little more quality for savings",
            {"tolerance_pp": "1.5", "reason": "Q4 cost target, quality board agreed"},
        ),
    )
    def put(self, request):
        return self.tolerance_change(None, self.tolerance_given())


class TeamToleranceAdminApi(ToleranceAdminView):
    @admin_schema(
        "admin_team_tolerance_get",
        {200: TOLERANCE_STATE},
        description="A team's override (null when it has none) and the tolerance in force "
        "for it (`in_force_pp`: its own, else the organisation's).",
    )
    def get(self, request, slug: str):
        return _tolerance_answer(_team_or_404(slug))

    @tolerance_set_schema(
        "admin_team_tolerance_set",
        "a team's override",
        (
            "Payments keeps quality tighter",
            {"tolerance_pp": "0.5", "reason": "payments code is audited"},
        ),
    )
    def put(self, request, slug: str):
        team = _team_or_404(slug)
        return self.tolerance_change(team, self.tolerance_given())

    @admin_schema(
        "admin_team_tolerance_remove",
        TOLERANCE_WRITTEN,
        request=inline_serializer("AdminToleranceRemove", {"reason": REASON}),
        if_match=True,
        description="Remove a team's override: the organisation's tolerance applies to it again.",
    )
    def delete(self, request, slug: str):
        return self.tolerance_change(_team_or_404(slug), None)


# --- webhooks ------------------------------------------------------------------------


class WebhooksAdminApi(AdminApiView):
    @admin_schema("admin_webhooks_list", {200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(
            {
                "webhooks": [
                    {**sel.webhook_state(e), "version": sel.webhook_version(e)}
                    for e in WebhookEndpoint.objects.order_by("pk")
                ]
            }
        )

    @admin_schema(
        "admin_webhooks_create",
        {201: STATE, 400: OpenApiTypes.OBJECT},
        request=inline_serializer(
            "AdminWebhook",
            {
                "url": serializers.URLField(),
                "events": serializers.ListField(child=serializers.CharField()),
                "description": serializers.CharField(required=False),
                "reason": REASON,
            },
        ),
        asks=(
            "Change requests to the review channel",
            {
                "url": "https://hooks.example.com/governor",
                "events": ["change.*"],
                "reason": "reviewers follow change requests",
            },
        ),
    )
    def post(self, request):
        data = self.body()
        reason = self.reason()
        events = data.get("events")
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise FieldError("events", 'a list of event patterns, such as ["change.*"]')
        endpoint = webhook_endpoint_create(
            url=str(data.get("url") or ""),
            events=events,
            description=str(data.get("description") or ""),
            actor=actor_of(request),
            reason=reason,
        )
        # The signing secret, shown this once.
        state = {**sel.webhook_state(endpoint), "secret": endpoint.secret}
        return _versioned(state, sel.webhook_version(endpoint), status.HTTP_201_CREATED)


class WebhookAdminApi(AdminApiView):
    @admin_schema(
        "admin_webhook_set_active",
        {200: STATE, 412: STALE},
        request=inline_serializer(
            "AdminWebhookActive", {"is_active": serializers.BooleanField(), "reason": REASON}
        ),
        if_match=True,
    )
    def patch(self, request, pk: int):
        is_active = self.body().get("is_active")
        if not isinstance(is_active, bool):
            raise FieldError("is_active", "must be true or false")
        reason = self.reason()
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=pk).first()
            if endpoint is None:
                raise NotFound(f"There is no webhook {pk}.")
            version_check(if_match=self.if_match(), current=sel.webhook_version(endpoint))
            endpoint = webhook_endpoint_set_active(
                endpoint=endpoint, is_active=is_active, actor=actor_of(request), reason=reason
            )
        return _versioned(sel.webhook_state(endpoint), sel.webhook_version(endpoint))


# --- configuration as code -----------------------------------------------------------


class ConfigAdminApi(AdminApiView):
    @admin_schema(
        "admin_config_export",
        {200: OpenApiResponse(description="The configuration document in force.")},
    )
    def get(self, request):
        response = Response(sel.config_export())
        response["ETag"] = sel.config_version()
        return response


class ConfigDiffAdminApi(AdminApiView):
    @admin_schema(
        "admin_config_diff",
        {200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        request=inline_serializer("AdminConfigDocument", {"document": serializers.DictField()}),
        answers=(
            "What a document would change",
            {
                "changes": [
                    "flag peak-hours: schedule 09:00-18:00 (UTC) → 08:00-18:00 (UTC)",
                    "budget payments/Monthly: limit 1000 → 1200",
                ]
            },
        ),
    )
    def post(self, request):
        return Response({"changes": config_diff(document=self.body().get("document"))})


class ConfigApplyAdminApi(AdminApiView):
    @admin_schema(
        "admin_config_apply",
        {200: OpenApiTypes.OBJECT, 202: WAITING, 400: OpenApiTypes.OBJECT, 412: STALE},
        request=inline_serializer(
            "AdminConfigApply", {"document": serializers.DictField(), "reason": REASON}
        ),
        if_match=True,
        description="All or nothing: a field the document gets wrong is named in a 400 and "
        "nothing is applied. Applying the same document again changes and records nothing.",
    )
    def post(self, request):
        document = self.body().get("document")
        config_diff(document=document)  # refuses a bad document before anything is filed
        outcome = self.make(ChangeKind.CONFIG_APPLY, {"document": document})
        waiting = _waiting(outcome)
        if waiting is not None:
            return waiting
        version = sel.config_version()
        response = Response({"changes": list(outcome.changes), "version": version})
        response["ETag"] = version
        return response


# --- change requests -------------------------------------------------------------------


def _change_or_404(pk: int) -> ChangeRequest:
    change = sel.change_get(change_id=pk)
    if change is None:
        raise NotFound(f"There is no change request {pk}.")
    return change


class ChangesAdminApi(AdminApiView):
    @admin_schema(
        "admin_changes_list",
        {200: OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter("status", str, required=False)],
    )
    def get(self, request):
        changes = ChangeRequest.objects.all()
        wanted = request.query_params.get("status")
        if wanted:
            changes = changes.filter(status=wanted)
        return Response({"changes": [change_json(c) for c in changes[:200]]})


class ChangeAdminApi(AdminApiView):
    @admin_schema("admin_change_get", {200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response(change_json(_change_or_404(pk)))


class ChangeDecisionAdminApi(AdminApiView):
    decision = ""

    @admin_schema(
        None,
        {200: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
        request=inline_serializer("AdminChangeDecision", {"reason": REASON}),
        description="approve: another admin applies the change (the author cannot); a change "
        "whose target changed since becomes stale (409). reject: with a reason. review: "
        "an emergency change, after the fact.",
    )
    def post(self, request, pk: int):
        _change_or_404(pk)
        actor = actor_of(request)
        reason = str(self.body().get("reason") or "")
        try:
            if self.decision == "approve":
                change = change_approve(change_id=pk, actor=actor, reason=reason)
            elif self.decision == "reject":
                change = change_reject(change_id=pk, actor=actor, reason=reason)
            else:
                change = change_review(change_id=pk, actor=actor, reason=reason)
        except ChangeRefused as exc:
            code = 403 if exc.field in ("approver", "reviewer") else 409
            return Response({exc.field: [exc.message]}, status=code)
        code = 409 if change.status == "stale" else 200
        return Response(change_json(change), status=code)


class ChangeControlAdminApi(AdminApiView):
    @admin_schema("admin_change_control_get", {200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"four_eyes": sel.four_eyes_on()})

    @admin_schema(
        "admin_change_control_set",
        {200: OpenApiTypes.OBJECT},
        request=inline_serializer(
            "AdminChangeControl", {"four_eyes": serializers.BooleanField(), "reason": REASON}
        ),
    )
    def put(self, request):
        on = self.body().get("four_eyes")
        if not isinstance(on, bool):
            raise FieldError("four_eyes", "must be true or false")
        control = four_eyes_set(on=on, actor=actor_of(request), reason=self.reason())
        return Response({"four_eyes": control.four_eyes})
