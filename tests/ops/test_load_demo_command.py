"""`manage.py load_demo` as a person sees it: numbered steps with progress
and times, money with its currency, and no log lines (JSON or not) between
them unless asked for with -v 2."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import call_command

from governance.calls import demo as calls_demo

pytestmark = pytest.mark.django_db


def test_load_demo__default_verbosity__steps_progress_and_no_log_lines(monkeypatch, caplog):
    monkeypatch.setattr(calls_demo, "DAYS", 4)  # the shape of the output, not the quarter
    caplog.set_level(logging.INFO)
    out = io.StringIO()

    call_command("load_demo", stdout=out)

    lines = out.getvalue().splitlines()
    steps = [line for line in lines if line.startswith("demo: [")]
    assert steps[0] == "demo: [1/6] accounts" and steps[-1] == "demo: [6/6] policies"
    assert "  calls: 100 %" in "\n".join(lines)
    assert any(line.startswith("  budget payments: payments monthly: $") for line in lines)
    assert lines[-1].startswith("demo: loaded in ")
    logged = [(r.name, r.getMessage()) for r in caplog.records if r.levelno < logging.WARNING]
    assert logged == []


def test_load_demo__verbose__every_event_logged(monkeypatch, caplog):
    monkeypatch.setattr(calls_demo, "DAYS", 2)
    caplog.set_level(logging.INFO)

    call_command("load_demo", stdout=io.StringIO(), verbosity=2)

    assert "audit.recorded" in {r.getMessage() for r in caplog.records}
