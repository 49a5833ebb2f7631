"""Who may call what: every endpoint and page against every kind of caller.

Callers: anonymous, a key with only `ingest`, a key with only `policy:read`,
another team's key (both scopes), a key with only `admin`, a revoked key, a manager and an admin
(signed in). A denied request is answered 401/403 (API) or sent to the login
page / 403 (pages), and changes nothing; nothing is ever a 500. A new URL
fails `test_access_matrix__covers_every_url` until it is added here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from governance.accounts.services import api_key_revoke
from governance.audit.models import AuditEvent
from governance.audit.services import webhook_endpoint_create
from governance.budgets.services import budget_save
from governance.calls.models import Call
from tests.accounts.factories import ClientFactory, TeamFactory
from tests.calls.factories import call_record, post_calls
from tests.calls.otlp import builders as otlp
from tests.flags.factories import make_flag
from tests.routes import url_routes

pytestmark = pytest.mark.django_db

MISSING_UUID = "00000000-0000-4000-8000-000000000000"
CALLERS = (
    "anonymous",
    "ingest_key",
    "policy_key",
    "other_team_key",
    "admin_key",
    "revoked_key",
    "manager",
    "admin",
)
EVERYONE = frozenset(CALLERS)
INGEST = frozenset({"ingest_key", "other_team_key"})
POLICY = frozenset({"policy_key", "other_team_key"})
ANY_KEY = frozenset({"ingest_key", "policy_key", "other_team_key", "admin_key"})
READERS = frozenset({"manager", "admin"})
ADMINS = frozenset({"admin"})
# The admin API: a key with the `admin` scope, or an admin's session.
ADMIN_API = frozenset({"admin", "admin_key"})


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # the URL pattern, as Django spells it
    allowed: frozenset[str]
    path_args: dict[str, str] = field(default_factory=dict)
    body: Callable[[], object] | None = None
    content_type: str = "application/json"

    @property
    def label(self) -> str:
        return f"{self.method} /{self.route}"


def _calls_body() -> bytes:
    return json.dumps({"calls": [call_record()]}).encode()


def _otlp_logs_body() -> bytes:
    return otlp.otlp_json(otlp.logs_request([otlp.log_record(otlp.codex_completion())]))


def _otlp_traces_body() -> bytes:
    return otlp.otlp_json(otlp.traces_request([otlp.span(otlp.genai_chat())]))


def _test_run_body() -> bytes:
    return json.dumps(
        {"run_id": "matrix-run", "model": "gpt-5-codex", "total": 3, "passed": 2, "failed": 1}
    ).encode()


def _reason_body() -> bytes:
    return json.dumps({"reason": "matrix"}).encode()


def _decide_body() -> bytes:
    return json.dumps({"task_type": "unit_test_draft", "risk": "low", "environment": "ci"}).encode()


def _ofrep_body() -> bytes:
    return json.dumps({"context": {"targetingKey": "job-1"}}).encode()


MATRIX = (
    # Operations: open to load balancers and Prometheus.
    Endpoint("GET", "healthz", EVERYONE),
    Endpoint("GET", "readyz", EVERYONE),
    Endpoint("GET", "metrics", EVERYONE),
    # Browsers ask for it on pages that name no icon.
    Endpoint("GET", "favicon.ico", EVERYONE),
    # A key that is presented must be valid, even where none is needed.
    Endpoint("GET", "api/schema/", EVERYONE - {"revoked_key"}),
    Endpoint("GET", "api/docs/", EVERYONE - {"revoked_key"}),
    Endpoint("GET", "login/", EVERYONE),
    # Calls: keys with `ingest` write; any key reads its own team's, people read all.
    Endpoint("POST", "api/v1/calls", INGEST, body=_calls_body),
    Endpoint("GET", "api/v1/calls", ANY_KEY | READERS),
    # OTLP/HTTP receivers: keys with `ingest`, as for posting calls.
    Endpoint("POST", "otlp/v1/logs", INGEST, body=_otlp_logs_body),
    Endpoint("POST", "otlp/v1/traces", INGEST, body=_otlp_traces_body),
    # Quality: keys with `ingest` report test runs; any key reads its team's, people read all.
    Endpoint("POST", "api/v1/test-runs", INGEST, body=_test_run_body),
    Endpoint("GET", "api/v1/quality/pass-rates", ANY_KEY | READERS),
    Endpoint("GET", "api/v1/quality/comparisons", ANY_KEY | READERS),
    Endpoint("GET", "api/v1/quality/alerts", ANY_KEY | READERS),
    # The routing advisor: any key reads its team's plan, people read all;
    # only admins set the tolerance, draft a plan or start a pilot.
    Endpoint("GET", "api/v1/recommendations", ANY_KEY | READERS),
    Endpoint("GET", "advisor/tolerance/", ADMINS),
    Endpoint("POST", "advisor/tolerance/", ADMINS, body=dict, content_type="form"),
    Endpoint("POST", "advisor/draft/", ADMINS, body=dict, content_type="form"),
    Endpoint("GET", "advisor/pilot/", ADMINS),
    Endpoint("POST", "advisor/pilot/", ADMINS, body=dict, content_type="form"),
    # Decisions and the policy snapshot: keys with `policy:read` only.
    Endpoint("POST", "api/v1/decide", POLICY, body=_decide_body),
    Endpoint("GET", "api/v1/policy", POLICY),
    # Budgets: any key reads its team's, people read all; only admins change them.
    Endpoint("GET", "api/v1/budgets", ANY_KEY | READERS),
    Endpoint("GET", "budgets/", READERS),
    Endpoint("GET", "budgets/new", ADMINS),
    Endpoint("POST", "budgets/new", ADMINS, body=dict, content_type="form"),
    Endpoint("GET", "budgets/<int:pk>/edit", ADMINS, {"pk": "budget"}),
    Endpoint("POST", "budgets/<int:pk>/edit", ADMINS, {"pk": "budget"}, dict, "form"),
    # The policy page: managers read it; only admins post drafts and roll back
    # (no such version: an admin is told so on the page).
    Endpoint("GET", "policies/", READERS),
    Endpoint("POST", "policies/", ADMINS, body=dict, content_type="form"),
    Endpoint(
        "POST",
        "policies/versions/<int:number>/rollback",
        ADMINS,
        {"number": "999999"},
        dict,
        "form",
    ),
    # Replays of a draft and their status (no such replay: an admin meets a 404).
    Endpoint("GET", "policies/replays/<uuid:pk>/", ADMINS, {"pk": MISSING_UUID}),
    Endpoint("GET", "api/v1/policies/replays/<uuid:pk>", ADMINS, {"pk": MISSING_UUID}),
    # Where background work stands: admins only (exports and replays hold filters and drafts).
    Endpoint("GET", "jobs/", ADMINS),
    Endpoint("GET", "api/v1/jobs", ADMINS),
    # Dashboard pages, exports and their JSON: managers and admins.
    Endpoint("GET", "", READERS),
    Endpoint("GET", "spend/", READERS),
    Endpoint("GET", "savings/", READERS),
    Endpoint("GET", "quality/", READERS),
    Endpoint("GET", "burn-down/", READERS),
    Endpoint("GET", "exports/", READERS),
    Endpoint("POST", "exports/", READERS, body=dict, content_type="form"),
    # No such export: a reader passes the role check and meets a 404.
    Endpoint("GET", "exports/<uuid:pk>/", READERS, {"pk": MISSING_UUID}),
    Endpoint("GET", "exports/<uuid:pk>/download", READERS, {"pk": MISSING_UUID}),
    Endpoint("GET", "api/v1/dashboard/exports/<uuid:pk>", READERS, {"pk": MISSING_UUID}),
    Endpoint("GET", "api/v1/dashboard/<str:page>", READERS, {"page": "overview"}),
    # OFREP: keys with `policy:read` only.
    Endpoint("POST", "ofrep/v1/evaluate/flags", POLICY, body=_ofrep_body),
    Endpoint(
        "POST", "ofrep/v1/evaluate/flags/<str:key>", POLICY, {"key": "matrix-flag"}, _ofrep_body
    ),
    # Flag pages: managers read, admins change.
    Endpoint("GET", "flags/", READERS),
    Endpoint("GET", "flags/<str:key>/", READERS, {"key": "matrix-flag"}),
    Endpoint("GET", "flags/new/", ADMINS),
    Endpoint("POST", "flags/new/", ADMINS, body=dict, content_type="form"),
    Endpoint("POST", "flags/<str:key>/", ADMINS, {"key": "matrix-flag"}, dict, "form"),
    Endpoint(
        "POST",
        "flags/<str:key>/toggle/",
        ADMINS,
        {"key": "matrix-flag"},
        lambda: {"enabled": "false", "reason": "matrix"},
        "form",
    ),
    # Audit log and webhooks: managers read, admins change.
    Endpoint("GET", "audit/", READERS),
    Endpoint("GET", "audit/webhooks/", READERS),
    Endpoint("GET", "audit/webhooks/new/", ADMINS),
    Endpoint(
        "POST",
        "audit/webhooks/new/",
        ADMINS,
        body=lambda: {"url": "https://hooks.example.com/x", "events": "flag.*", "reason": "matrix"},
        content_type="form",
    ),
    Endpoint(
        "POST",
        "audit/webhooks/<int:pk>/active/",
        ADMINS,
        {"pk": "webhook"},
        lambda: {"is_active": "false", "reason": "matrix"},
        "form",
    ),
    # No such delivery: an admin passes the role check and meets a 404; everyone else is stopped first.
    Endpoint(
        "POST", "audit/webhooks/deliveries/<int:pk>/retry/", ADMINS, {"pk": "999999"}, dict, "form"
    ),
)

A = "api/v1/admin/"
T = f"{A}quality/tolerance/teams/<str:slug>"
MATRIX += (
    # The admin API (change control): an `admin` key or an admin. Bodies
    # without the fields they need: an allowed caller meets a 400 or 404.
    Endpoint("GET", f"{A}flags", ADMIN_API),
    Endpoint("POST", f"{A}flags", ADMIN_API, body=_reason_body),
    Endpoint("GET", f"{A}flags/<str:key>", ADMIN_API, {"key": "matrix-flag"}),
    Endpoint("PATCH", f"{A}flags/<str:key>", ADMIN_API, {"key": "matrix-flag"}, _reason_body),
    Endpoint("POST", f"{A}flags/<str:key>/toggle", ADMIN_API, {"key": "matrix-flag"}, _reason_body),
    Endpoint("POST", f"{A}flags/<str:key>/archive", ADMIN_API, {"key": "missing"}, _reason_body),
    Endpoint("GET", f"{A}budgets", ADMIN_API),
    Endpoint("POST", f"{A}budgets", ADMIN_API, body=_reason_body),
    Endpoint("GET", f"{A}budgets/<int:pk>", ADMIN_API, {"pk": "budget"}),
    Endpoint("PATCH", f"{A}budgets/<int:pk>", ADMIN_API, {"pk": "budget"}, _reason_body),
    Endpoint("GET", f"{A}policy", ADMIN_API),
    Endpoint("POST", f"{A}policy/validate", ADMIN_API, body=_reason_body),
    Endpoint("POST", f"{A}policy/dry-run", ADMIN_API, body=lambda: b'{"document": 1}'),
    Endpoint("POST", f"{A}policy/replays", ADMIN_API, body=_reason_body),
    Endpoint("GET", f"{A}policy/replays/<uuid:pk>", ADMIN_API, {"pk": MISSING_UUID}),
    Endpoint("POST", f"{A}policy/publish", ADMIN_API, body=_reason_body),
    Endpoint("POST", f"{A}policy/rollback", ADMIN_API, body=_reason_body),
    Endpoint("GET", f"{A}webhooks", ADMIN_API),
    Endpoint("POST", f"{A}webhooks", ADMIN_API, body=_reason_body),
    Endpoint("PATCH", f"{A}webhooks/<int:pk>", ADMIN_API, {"pk": "webhook"}, _reason_body),
    # The quality tolerance: a PUT without a value meets a 400; removing an
    # override team-a does not have changes nothing.
    Endpoint("GET", f"{A}quality/tolerance", ADMIN_API),
    Endpoint("PUT", f"{A}quality/tolerance", ADMIN_API, body=_reason_body),
    Endpoint("GET", T, ADMIN_API, {"slug": "team-a"}),
    Endpoint("PUT", T, ADMIN_API, {"slug": "team-a"}, _reason_body),
    Endpoint("DELETE", T, ADMIN_API, {"slug": "team-a"}, _reason_body),
    Endpoint("GET", f"{A}config", ADMIN_API),
    Endpoint("POST", f"{A}config/diff", ADMIN_API, body=lambda: b'{"document": []}'),
    Endpoint("POST", f"{A}config/apply", ADMIN_API, body=_reason_body),
    Endpoint("GET", f"{A}changes", ADMIN_API),
    Endpoint("GET", f"{A}changes/<int:pk>", ADMIN_API, {"pk": "999999"}),
    Endpoint("POST", f"{A}changes/<int:pk>/approve", ADMIN_API, {"pk": "999999"}, _reason_body),
    Endpoint("POST", f"{A}changes/<int:pk>/reject", ADMIN_API, {"pk": "999999"}, _reason_body),
    Endpoint("POST", f"{A}changes/<int:pk>/review", ADMIN_API, {"pk": "999999"}, _reason_body),
    Endpoint("GET", f"{A}change-control", ADMIN_API),
    Endpoint("PUT", f"{A}change-control", ADMIN_API, body=_reason_body),
    # Change requests: managers read, admins decide (no such request: a message).
    Endpoint("GET", "changes/", READERS),
    Endpoint("POST", "changes/<int:pk>/decide", ADMINS, {"pk": "999999"}, dict, "form"),
    Endpoint("POST", "changes/four-eyes", ADMINS, body=dict, content_type="form"),
)

NOT_IN_MATRIX = (
    # Django's own admin is for staff accounts only, not part of Governor's roles.
    "admin/",
    # Ends whatever session there is, for anyone, and always lands on the login page.
    "logout/",
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Two people per test, over a hundred tests: the production hasher would
    # spend minutes on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(issue_key, manager_user, admin_user):
    """Team A with its keys, some calls and a budget, team B with one key, one flag, one webhook."""
    team_a, team_b = TeamFactory(slug="team-a"), TeamFactory(slug="team-b")
    client_a = ClientFactory(team=team_a)
    keys = {
        "ingest_key": issue_key(scopes=["ingest"], client=client_a)[0],
        "policy_key": issue_key(scopes=["policy:read"], client=client_a)[0],
        "other_team_key": issue_key(
            scopes=["ingest", "policy:read"], client=ClientFactory(team=team_b)
        )[0],
        "admin_key": issue_key(scopes=["admin"], client=ClientFactory(team=team_b))[0],
    }
    revoked_raw, revoked = issue_key(scopes=["ingest", "policy:read"], client=client_a)
    api_key_revoke(api_key=revoked)
    keys["revoked_key"] = revoked_raw
    seeder = APIClient()
    seeder.credentials(HTTP_AUTHORIZATION=f"Bearer {keys['ingest_key']}")
    assert post_calls(seeder, [call_record(call_id="team-a-secret-call")]).status_code == 200
    make_flag(key="matrix-flag")
    webhook = webhook_endpoint_create(
        url="https://hooks.example.com/a", events=["*"], actor=admin_user
    )
    budget = budget_save(
        team=team_a, actor=admin_user, name="Team A monthly", limit=Decimal("1000")
    )
    return {
        "keys": keys,
        "users": {"manager": manager_user, "admin": admin_user},
        "objects": {"webhook": webhook.pk, "budget": budget.pk},
    }


def _client_for(caller: str, world) -> APIClient:
    client = APIClient()
    if caller in world["keys"]:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['keys'][caller]}")
    elif caller in world["users"]:
        client.force_login(world["users"][caller])
    return client


def _path(endpoint: Endpoint, world) -> str:
    path = "/" + endpoint.route
    for name, value in endpoint.path_args.items():
        value = str(world["objects"].get(value, value))
        for converter in ("str", "int", "uuid"):
            path = path.replace(f"<{converter}:{name}>", value)
    return path


def _denied(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: e.label)
def test_access_matrix__each_caller__allowed_exactly_where_the_matrix_says(endpoint, caller, world):
    client = _client_for(caller, world)
    calls_before, events_before = Call.objects.count(), AuditEvent.objects.count()
    body = endpoint.body() if endpoint.body else None
    path = _path(endpoint, world)

    if endpoint.content_type == "form":
        response = (
            client.generic(endpoint.method, path)
            if body is None
            else getattr(client, endpoint.method.lower())(path, body)
        )
    else:
        response = client.generic(
            endpoint.method, path, body or b"", content_type=endpoint.content_type
        )

    assert response.status_code < 500
    if caller in endpoint.allowed:
        assert not _denied(response), (
            f"{caller} was refused {endpoint.label}: {response.status_code}"
        )
    else:
        assert _denied(response), f"{caller} was let into {endpoint.label}: {response.status_code}"
        assert Call.objects.count() == calls_before
        assert AuditEvent.objects.count() == events_before


def test_access_matrix__covers_every_url():
    assert url_routes(skip=NOT_IN_MATRIX) - {endpoint.route for endpoint in MATRIX} == set()


def test_calls_list__another_teams_key__sees_none_of_this_teams_calls(world):
    client = _client_for("other_team_key", world)

    listed = client.get("/api/v1/calls").json()["results"]
    asked_for_team_a = client.get("/api/v1/calls", {"team": "team-a"}).json()["results"]

    assert listed == asked_for_team_a == []


def test_calls_list__own_team_policy_key__sees_its_teams_calls(world):
    client = _client_for("policy_key", world)

    listed = client.get("/api/v1/calls").json()["results"]

    assert [row["call_id"] for row in listed] == ["team-a-secret-call"]


def test_ingest__another_teams_key_reusing_a_call_id__stores_its_own_call_without_touching_the_first(
    world,
):
    client = _client_for("other_team_key", world)

    response = post_calls(client, [call_record(call_id="team-a-secret-call", input_tokens=5000)])

    assert response.json()["accepted"] == 1
    assert Call.objects.filter(call_id="team-a-secret-call").count() == 2
    assert Call.objects.get(call_id="team-a-secret-call", team__slug="team-a").input_tokens == 1000
