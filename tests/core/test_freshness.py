"""How in-process caches know they are stale (core.freshness), and the one
ETag: a change made by any process is seen at the next check, a change this
process made is seen at once, and nothing is rebuilt or read that need not be."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from governance.core.freshness import (
    Generation,
    HostGeneration,
    Memo,
    canonical_json,
    etag_for,
    etag_matches,
    generation_new,
)


def _outside_transaction(read):
    """`read()` as a request outside any transaction sees it (the test's own
    transaction would make every read go to the row)."""
    with mock.patch.object(connection, "in_atomic_block", False):
        return read()


class Row:
    """A generation row, counting its reads."""

    def __init__(self, value: int | None = 1) -> None:
        self.value, self.reads = value, 0

    def read(self) -> int | None:
        self.reads += 1
        return self.value


@pytest.fixture(autouse=True)
def _process_cache(settings):
    # Each test says which cache it runs with: this process's memory unless it
    # asks for a shared one, whatever cache the suite is configured with.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def shared_cache(settings, tmp_path, _process_cache):
    # A cache several processes could share (Redis in production).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    yield cache
    cache.clear()


def test_memo__generation_unchanged__built_once():
    row, builds = Row(), []
    memo = Memo(Generation("t1", read=row.read), lambda g: (g, builds.append(g) or f"v{g}"))

    assert [memo.get() for _ in range(3)] == ["v1", "v1", "v1"]
    assert builds == [1]


def test_memo__generation_moved_on_elsewhere__rebuilt_at_the_next_read():
    row = Row()
    memo = Memo(Generation("t2", read=row.read), lambda g: (g, f"v{g}"))
    assert memo.get() == "v1"

    row.value = 2  # another process committed a change

    assert memo.get() == "v2"


@pytest.mark.django_db
def test_memo__check_interval__not_checked_within_it_but_own_change_seen_at_once(
    django_capture_on_commit_callbacks,
):
    row = Row()
    generation = Generation("t3", read=row.read)
    memo = Memo(generation, lambda g: (g, f"v{g}"), check_every=3600)
    memo.get()
    reads = row.reads

    row.value = 2
    assert memo.get() == "v1" and row.reads == reads  # inside the interval: no check

    with django_capture_on_commit_callbacks(execute=True):
        generation.changed(2)  # this process made the change
    assert memo.get() == "v2"


def test_memo__nothing_stored_yet__checked_on_every_read_despite_the_interval():
    # A process that read before any snapshot existed sees the first one
    # another process stores at its next read, not an interval later.
    row = Row(None)
    memo = Memo(Generation("t5", read=row.read), lambda g: (g, f"v{g}"), check_every=3600)
    assert memo.get() == "vNone"

    row.value = 3

    assert memo.get() == "v3"
    reads = row.reads
    assert memo.get() == "v3" and row.reads == reads  # stored: the interval holds again


def test_generation__shared_cache__mirror_read_and_the_row_read_once(shared_cache):
    row = Row(7)
    generation = Generation("t4", read=row.read)

    assert [generation.current() for _ in range(3)] == [7, 7, 7]
    assert row.reads == 1


@pytest.mark.django_db
def test_generation__changed_in_a_transaction__mirrored_only_once_committed(
    shared_cache, django_capture_on_commit_callbacks
):
    row = Row(7)
    generation = Generation("t6", read=row.read)
    generation.current()

    with django_capture_on_commit_callbacks() as pending, transaction.atomic():
        row.value = 8
        generation.changed(8)
        # Inside the transaction the row is the truth: it may hold an uncommitted value.
        assert generation.current() == 8
        assert shared_cache.get(generation.key) is None

    for callback in pending:
        callback()
    assert shared_cache.get(generation.key) == 8


@pytest.mark.django_db
def test_host_generation__change_committed_here__next_read_of_every_process_sees_it(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.VAR_DIR = tmp_path
    row = Row(7)
    here = HostGeneration("t7", read=row.read, shared_every=3600)
    # Another process of this machine: its own mapping of the same file.
    other = HostGeneration("t7", read=row.read, shared_every=3600)
    before = _outside_transaction(other.current)

    row.value = 8
    with django_capture_on_commit_callbacks(execute=True):
        here.changed(8)

    after = _outside_transaction(other.current)
    assert after != before and after[0] == 8
    assert row.reads == 1  # the other process read the installation's generation once


def test_generation_new__random__never_zero_and_not_repeated():
    values = {generation_new() for _ in range(1000)}

    assert len(values) == 1000 and 0 not in values


def test_etag__same_content_in_another_key_order__same_etag():
    first = etag_for(canonical_json({"a": 1, "b": [1, 2]}))

    assert first == etag_for(canonical_json({"b": [1, 2], "a": 1}))
    assert first != etag_for(canonical_json({"a": 2, "b": [1, 2]}))
    assert first.startswith('"') and first.endswith('"')


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('"x"', False),
        ("", False),
    ],
)
def test_etag_matches__if_none_match_header__weak_comparison(header, matches):
    assert etag_matches(header, '"abc"') is matches
