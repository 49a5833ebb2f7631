"""Test runs: recording, importing and linking them to their calls."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from governance.accounts.models import Client
from governance.audit.services import audit_record
from governance.calls.selectors import call_pks, calls_locked, calls_named
from governance.quality.models import (
    Source,
    SuiteRun,
    SuiteRunCall,
)
from governance.quality.services.rollup import (
    Cells,
    LinkCost,
    link_cells,
    links_locked,
    rollup_cells_upsert,
    run_cells,
)

logger = logging.getLogger("governance.quality")


@dataclass(frozen=True)
class SuiteRunInput:
    """One validated test run, whatever format it arrived in."""

    run_id: str
    timestamp: datetime
    model: str
    total: int
    passed: int
    failed: int
    errored: int
    skipped: int
    flaky: int = 0
    task_type: str = ""
    repo: str = ""
    commit: str = ""
    pull_request: str = ""
    job: str = ""
    attempt: int | None = None
    outcome: str = ""
    source: str = Source.JSON
    call_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.total != self.passed + self.failed + self.errored + self.skipped:
            raise ValueError("total must equal passed + failed + errored + skipped")


@dataclass(frozen=True)
class SuiteRunRecorded:
    suite_run: SuiteRun
    replaced: bool
    linked_calls: int
    unknown_call_ids: list[str] = field(default_factory=list)


_RUN_FIELDS = (
    "timestamp", "model", "task_type", "repo", "commit", "pull_request", "job", "attempt",
    "outcome", "source", "total", "passed", "failed", "errored", "skipped", "flaky",
)  # fmt: skip


def _run_snapshot(suite_run: SuiteRun) -> dict:
    data = {name: getattr(suite_run, name) for name in _RUN_FIELDS}
    data["timestamp"] = suite_run.timestamp.isoformat()
    return data


@transaction.atomic
def suite_run_record(
    *, client: Client, run: SuiteRunInput, actor=None, now: datetime | None = None
) -> SuiteRunRecorded:
    """Store a test run; the same (client, run_id) again replaces it, links included."""
    now = now or timezone.now()
    values = {name: getattr(run, name) for name in _RUN_FIELDS}
    values["received_at"] = now
    call_ids = list(dict.fromkeys(run.call_ids))
    suite_run = (
        SuiteRun.objects.select_for_update().filter(client=client, run_id=run.run_id).first()
    )
    # Lock order everywhere a link's cost is counted: run, then calls, then links
    # (see quality_rollup_add); the calls' prices cannot change until we commit.
    calls_locked(client_ids=[client.pk], call_ids=call_ids)
    created = False
    if suite_run is None:
        try:
            with transaction.atomic():
                suite_run = SuiteRun.objects.create(
                    client=client, team_id=client.team_id, run_id=run.run_id, **values
                )
            created = True
        except IntegrityError:
            # A concurrent upload of the same run won the insert: replace it instead.
            suite_run = SuiteRun.objects.select_for_update().get(client=client, run_id=run.run_id)
    replaced = not created
    before = None
    cells: Cells = {}
    if replaced:
        before = _run_snapshot(suite_run)
        # The replaced run leaves the roll-up as it stands now, links included.
        run_cells(cells, [suite_run], sign=-1)
        link_cells(cells, links_locked(Q(suite_run=suite_run)), sign=-1)
        for name, value in values.items():
            setattr(suite_run, name, value)
        suite_run.save(update_fields=[*values])
        suite_run.links.all().delete()

    known = _links_create(client=client, call_ids_by_run={suite_run.pk: call_ids})
    run_cells(cells, [suite_run], sign=1)
    link_cells(cells, links_locked(Q(suite_run=suite_run)), sign=1)
    rollup_cells_upsert(cells)
    audit_record(
        action="test_run.replaced" if replaced else "test_run.recorded",
        target=suite_run,
        actor=actor,
        before=before,
        after={**_run_snapshot(suite_run), "call_ids": call_ids},
        team=client.team,
    )
    logger.info(
        "test_run.recorded",
        extra={
            "suite_run_id": suite_run.pk,
            "run_id": run.run_id,
            "client_id": client.pk,
            "replaced": replaced,
        },
    )
    return SuiteRunRecorded(
        suite_run=suite_run,
        replaced=replaced,
        linked_calls=len(known),
        unknown_call_ids=[call_id for call_id in call_ids if call_id not in known],
    )


@transaction.atomic
def suite_runs_import(*, client: Client, runs: Sequence[SuiteRunInput], actor=None) -> int:
    """Bulk-load runs whose run_id this client has not stored yet (back-fills,
    the demo); runs already stored are left as they are. Returns how many were added.
    One audit event for the batch."""
    wanted = {run.run_id: run for run in runs}
    existing = set(
        SuiteRun.objects.filter(client=client, run_id__in=list(wanted)).values_list(
            "run_id", flat=True
        )
    )
    new = [run for run_id, run in wanted.items() if run_id not in existing]
    if not new:
        return 0
    now = timezone.now()
    created = SuiteRun.objects.bulk_create(
        SuiteRun(
            client=client,
            team_id=client.team_id,
            run_id=run.run_id,
            received_at=now,
            **{name: getattr(run, name) for name in _RUN_FIELDS},
        )
        for run in new
    )
    pks = dict(
        SuiteRun.objects.filter(client=client, run_id__in=[run.run_id for run in new]).values_list(
            "run_id", "pk"
        )
    )
    calls_locked(client_ids=[client.pk], call_ids=[c for run in new for c in run.call_ids])
    _links_create(client=client, call_ids_by_run={pks[run.run_id]: run.call_ids for run in new})
    cells: Cells = {}
    run_cells(cells, SuiteRun.objects.filter(pk__in=list(pks.values())), sign=1)
    link_cells(cells, links_locked(Q(suite_run_id__in=list(pks.values()))), sign=1)
    rollup_cells_upsert(cells)
    audit_record(
        action="test_run.imported",
        target_type="quality.suiterun",
        target_id=f"{client.pk}:batch",
        actor=actor,
        after={"client": client.pk, "runs": len(created), "first_run_id": new[0].run_id},
        team=client.team,
    )
    return len(created)


@dataclass(frozen=True)
class BatchRecorded:
    added: int
    replaced: int


def suite_runs_batch_record(
    *, client: Client, runs: Sequence[SuiteRunInput], actor=None
) -> BatchRecorded:
    """A batch from the API: new runs in bulk (`suite_runs_import`), runs this
    client sent before replaced one by one as a single upload would."""
    existing = set(
        SuiteRun.objects.filter(client=client, run_id__in=[r.run_id for r in runs]).values_list(
            "run_id", flat=True
        )
    )
    new = [r for r in runs if r.run_id not in existing]
    try:
        added = suite_runs_import(client=client, runs=new, actor=actor)
    except IntegrityError:
        # A concurrent batch stored some of these run ids first (the import
        # rolled back whole): record them one by one, which replaces under lock.
        for run in new:
            suite_run_record(client=client, run=run, actor=actor)
        added = len(new)
    replaced = 0
    for run in runs:
        if run.run_id in existing:
            suite_run_record(client=client, run=run, actor=actor)
            replaced += 1
    return BatchRecorded(added=added, replaced=replaced)


def _links_create(*, client: Client, call_ids_by_run: dict[int, Sequence[str]]) -> dict[str, int]:
    """Link runs to the calls they name; returns the call ids already logged, with their pks."""
    wanted = {call_id for call_ids in call_ids_by_run.values() for call_id in call_ids}
    known = call_pks(client_id=client.pk, call_ids=wanted)
    SuiteRunCall.objects.bulk_create(
        SuiteRunCall(
            suite_run_id=run_pk, client=client, call_id=call_id, resolved_call_id=known.get(call_id)
        )
        for run_pk, call_ids in call_ids_by_run.items()
        for call_id in dict.fromkeys(call_ids)
    )
    return known


def suite_run_links_resolve() -> int:
    """Link test runs to calls that arrived after them; returns how many links
    were resolved. A link only gains a pointer to a call it already named, so
    there is nothing to audit; the quality roll-up gains the calls' cost.

    Locks the calls, then the links (the order every writer of linked cost
    keeps), and re-reads the links under the lock: a link resolved, or a call
    deleted, by a concurrent writer meanwhile is left alone.
    """
    with transaction.atomic():
        resolved = _links_resolve()
    logger.info("test_run.links_resolved", extra={"resolved": resolved})
    return resolved


def _links_resolve() -> int:
    matching_call = calls_named(client_id=OuterRef("client_id"), call_id=OuterRef("call_id"))
    pending = list(
        SuiteRunCall.objects.filter(resolved_call__isnull=True)
        .filter(Exists(matching_call))
        .values_list("pk", "client_id", "call_id")
    )
    if not pending:
        return 0
    calls = calls_locked(client_ids={c for _, c, _ in pending}, call_ids={c for _, _, c in pending})
    links = list(
        SuiteRunCall.objects.select_for_update(of=("self",))
        .filter(pk__in=[pk for pk, _, _ in pending], resolved_call__isnull=True)
        .select_related("suite_run")
        .order_by("pk")
    )
    cells: Cells = {}
    resolved = []
    for link in links:
        match = calls.get((link.client_id, link.call_id))
        if match is None:
            continue
        link.resolved_call_id = match[0]
        resolved.append(link)
        # The link was counted as not logged; now it points at a call.
        link_cells(cells, [LinkCost(link.suite_run, False, None)], sign=-1)
        link_cells(cells, [LinkCost(link.suite_run, True, match[1])], sign=1)
    SuiteRunCall.objects.bulk_update(resolved, ["resolved_call"], batch_size=1000)
    rollup_cells_upsert(cells)
    return len(resolved)
