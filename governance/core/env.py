"""Typed readers for environment variables that fail loudly on bad values.

Plain Python (no Django): settings.py, the routing client and the benchmarks
all read their configuration through these helpers.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar


class ConfigurationError(ValueError):
    """An environment variable holds a value that cannot be used."""


N = TypeVar("N", int, float)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be one of {sorted(_TRUE | _FALSE)}, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    return _env_number(name, default, int, "an integer", minimum=minimum, maximum=None)


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    return _env_number(name, default, float, "a finite number", minimum=minimum, maximum=maximum)


def env_decimal(name: str, default: Decimal, *, minimum: Decimal | None = None) -> Decimal:
    """A finite Decimal (money settings are never floats)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ConfigurationError(f"{name} must be a decimal number, got {raw!r}") from None
    if not value.is_finite():
        raise ConfigurationError(f"{name} must be a decimal number, got {raw!r}")
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name} must be >= {minimum}, got {value}")
    return value


def _env_number(
    name: str,
    default: N,
    convert: Callable[[str], N],
    kind: str,
    *,
    minimum: N | None,
    maximum: N | None,
) -> N:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = convert(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be {kind}, got {raw!r}") from None
    # NaN compares false with every bound and infinity passes a minimum: refuse both.
    if not math.isfinite(value):
        raise ConfigurationError(f"{name} must be {kind}, got {raw!r}")
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigurationError(f"{name} must be <= {maximum}, got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_key_from_file(path: Path) -> str:
    """The key kept in `path`, generated on first use. Readable by its owner
    only (0600): anyone who reads it can forge sessions and signed values."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            # Written world-readable by an earlier version: close it now.
            path.chmod(0o600)
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    key = path.read_text().strip()
    if len(key) < 32:
        raise ConfigurationError(f"{path} holds a secret key shorter than 32 characters")
    return key
