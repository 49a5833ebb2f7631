"""Errors shared by services and the Django-free engine (no Django import here)."""

from __future__ import annotations


class FieldError(ValueError):
    """Input that cannot be used; `field` names it (e.g. "rules[0].split") so a
    form or an API answer can point at it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
