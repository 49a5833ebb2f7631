import django.db.models.deletion
from django.db import migrations, models


def uncatalogued_health_drop(apps, schema_editor):
    # Health rows were made for any model name a client reported; only
    # catalogued models have a circuit now (names of a sender's choosing
    # entered every client's snapshot).
    ModelHealth = apps.get_model("policies", "ModelHealth")
    Model = apps.get_model("catalog", "Model")
    ModelHealth.objects.exclude(model__in=Model.objects.values("name")).delete()


class Migration(migrations.Migration):
    """Model health per team beside the organisation's (see ModelHealth)."""

    dependencies = [
        ("accounts", "0003_api_keys_version"),
        ("catalog", "0002_default_models"),
        ("policies", "0003_progress_job_started_at"),
    ]

    operations = [
        migrations.RunPython(uncatalogued_health_drop, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name="modelhealth",
            options={"ordering": ["model", "team_id"]},
        ),
        migrations.AddField(
            model_name="modelhealth",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.team",
            ),
        ),
        migrations.AlterField(
            model_name="modelhealth",
            name="model",
            field=models.CharField(max_length=128),
        ),
        migrations.AddConstraint(
            model_name="modelhealth",
            constraint=models.UniqueConstraint(
                condition=models.Q(("team", None)),
                fields=("model",),
                name="model_health_org_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="modelhealth",
            constraint=models.UniqueConstraint(
                condition=models.Q(("team__isnull", False)),
                fields=("model", "team"),
                name="model_health_team_unique",
            ),
        ),
    ]
