from django.conf import settings
from django.db import models
from django.utils import timezone


class Tier(models.TextChoices):
    FULL = "full", "Full"
    MINI = "mini", "Mini"


class Model(models.Model):
    """A catalogued model.

    `priced_as` names the genai-prices model whose published prices apply when
    no admin price holds: blank means the model's own name. A model priced
    through another name (gpt-5-codex-mini priced as gpt-5.1-codex-mini, which
    genai-prices knows) is *alias-priced*, and its calls are marked so.
    """

    name = models.CharField(max_length=128, unique=True)
    display_name = models.CharField(max_length=128, blank=True)
    provider = models.CharField(max_length=64, blank=True)
    tier = models.CharField(max_length=8, choices=Tier.choices, default=Tier.FULL)
    priced_as = models.CharField(max_length=128, blank=True)
    # The full-tier sibling whose rate a mini model's savings are measured against.
    full_counterpart = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="mini_siblings"
    )
    # What one call can take, in tokens: blank means genai-prices' context
    # window (it publishes no output limit). A call over either is refused.
    context_window = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Input plus output tokens one call can take. Blank: the published window.",
    )
    max_output_tokens = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Output tokens (reasoning included) one call can produce. Blank: no own limit.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_alias_priced(self) -> bool:
        return bool(self.priced_as) and self.priced_as != self.name


class ModelPrice(models.Model):
    """An admin's own price (a negotiated rate), in USD per million tokens,
    holding from `effective_from` until the next price of the same model.
    Admin prices take precedence over genai-prices from that moment on."""

    model = models.ForeignKey(Model, on_delete=models.CASCADE, related_name="prices")
    effective_from = models.DateTimeField()
    input_per_mtok = models.DecimalField(max_digits=14, decimal_places=6)
    cached_input_per_mtok = models.DecimalField(max_digits=14, decimal_places=6)
    output_per_mtok = models.DecimalField(max_digits=14, decimal_places=6)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["model__name", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["model", "effective_from"], name="price_unique_start"),
            models.CheckConstraint(
                condition=models.Q(
                    input_per_mtok__gte=0, cached_input_per_mtok__gte=0, output_per_mtok__gte=0
                ),
                name="price_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model.name} from {self.effective_from:%Y-%m-%d}"


class CatalogVersion(models.Model):
    """One row whose version changes on every catalog change (to a random
    number, never reused even when a change is rolled back), so every process
    can tell with one primary-key read whether its in-memory price book is stale."""

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"catalog v{self.version}"
