"""Waiting for work that happens elsewhere (a worker, a server, a client's
background thread): the one polling helper of the suite."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T],
    *,
    timeout: float = 30.0,
    what: str = "the condition",
    interval: float = 0.05,
) -> T:
    """Poll `predicate` until it returns something truthy, and return that.

    The timeout only stops a broken test from hanging: it is never what a
    test asserts, so it can be generous on a loaded machine."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
