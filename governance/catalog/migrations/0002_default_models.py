"""Ship the models Governor exists for. genai-prices has no gpt-5-codex-mini,
so it is alias-priced like gpt-5.1-codex-mini ($0.25 / $0.025 / $2.00 per MTok)."""

from django.db import migrations

DEFAULTS = [
    # name, provider, tier, priced_as, full counterpart
    ("gpt-5", "openai", "full", "", None),
    ("gpt-5-codex", "openai", "full", "", None),
    ("gpt-5-codex-mini", "openai", "mini", "gpt-5.1-codex-mini", "gpt-5-codex"),
    ("gpt-5.1-codex", "openai", "full", "", None),
    ("gpt-5.1-codex-mini", "openai", "mini", "", "gpt-5.1-codex"),
]


def create_models(apps, schema_editor):
    Model = apps.get_model("catalog", "Model")
    CatalogVersion = apps.get_model("catalog", "CatalogVersion")
    for name, provider, tier, priced_as, _ in DEFAULTS:
        Model.objects.get_or_create(
            name=name,
            defaults={
                "provider": provider,
                "tier": tier,
                "priced_as": priced_as,
                "display_name": name,
            },
        )
    for name, *_, counterpart in DEFAULTS:
        if counterpart:
            Model.objects.filter(name=name).update(
                full_counterpart=Model.objects.get(name=counterpart)
            )
    CatalogVersion.objects.get_or_create(pk=1, defaults={"version": 1})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create_models, migrations.RunPython.noop)]
