from django.db import migrations


class Migration(migrations.Migration):
    """ExportJob now shares governance.core.jobs.ProgressJob with the policy replay:
    its progress columns take the shared names."""

    dependencies = [
        ("dashboard", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="exportjob", old_name="rows_total", new_name="total"),
        migrations.RenameField(model_name="exportjob", old_name="rows_done", new_name="done"),
    ]
