"""Shared pieces of the tests that break something on purpose."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import OperationalError


class DropsOnce:
    """Stands in for `real`: the first call fails as a lost database connection
    would, every later one is passed through. `calls` counts them all."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return self.real(*args, **kwargs)
