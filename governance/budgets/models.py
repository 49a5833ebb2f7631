from decimal import Decimal
from zoneinfo import available_timezones

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone as django_timezone


class Period(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week (Monday to Sunday)"
    MONTH = "month", "Calendar month"


class Unit(models.TextChoices):
    USD = "usd", "US dollars"
    TOKENS = "tokens", "Tokens (input + output)"


class HardLimit(models.TextChoices):
    BLOCK = "block", "Block non-critical work"
    ALERT = "alert", "Only alert"


class BudgetState(models.TextChoices):
    NORMAL = "normal", "Normal"
    FALLBACK = "fallback", "Fallback (threshold crossed)"
    RESERVE_ONLY = "reserve_only", "Reserve only (critical work)"
    EXHAUSTED = "exhausted", "Exhausted"


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones())]


class Budget(models.Model):
    """A spending limit for one team (or, with no team, the whole organisation)
    per day, week or calendar month in a time zone.

    `state`, `percent` and `evaluated_at` are what `budgets_evaluate` last saw;
    they feed the policy snapshot, and only that service writes them. Spend
    itself is never stored here: it is summed from the hourly call roll-ups.
    """

    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="budgets"
    )
    name = models.CharField(max_length=128)
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.USD)
    limit = models.DecimalField(
        max_digits=20, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))]
    )
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.MONTH)
    timezone = models.CharField(max_length=64, default="UTC")
    fallback_threshold_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("90"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    # The last `reserve_pct` of the limit is kept for risk=critical work.
    reserve_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("5"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    hard_limit = models.CharField(max_length=8, choices=HardLimit.choices, default=HardLimit.BLOCK)
    state = models.CharField(max_length=16, choices=BudgetState.choices, default=BudgetState.NORMAL)
    percent = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    evaluated_at = models.DateTimeField(null=True, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["team__slug", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="budget_unique_name_per_team"),
        ]

    def __str__(self) -> str:
        owner = self.team.slug if self.team is not None else "organisation"
        return f"{owner}: {self.name}"
