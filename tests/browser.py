"""Shared pieces of the headless-Chromium tests (a Chromium driven by Playwright;
tests/chromium.py finds or installs it, and `make test` runs that first)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import cache

import pytest
from django.db import connections

from tests import chromium

PASSWORD = "correct horse battery staple"  # UserFactory's


@cache
def _browser() -> str | None:
    # `make test` has already found one and says which; run alone, look again.
    return os.environ.get("GOVERNOR_CHROMIUM") or chromium.find()


@contextmanager
def chromium_browser(monkeypatch):
    browser = _browser()
    if browser is None:
        pytest.fail(chromium.INSTRUCTION)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # made between browser steps are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(**chromium.launch_options(browser))
        try:
            yield instance
        finally:
            instance.close()
            # ORM calls made inside Playwright's context got their own connection;
            # close it, or PostgreSQL refuses to drop the test database at the end.
            connections.close_all()


def sign_in(
    browser, base_url: str, username: str, *, then: str = "/", width: int = 1366, height: int = 900
):
    """A new browser context signed in as `username`; returns (page, JavaScript errors seen)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base_url}/login/?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page, errors
