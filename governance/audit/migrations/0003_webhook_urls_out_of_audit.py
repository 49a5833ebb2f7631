from urllib.parse import urlsplit

from django.db import migrations


def _origin(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


def webhook_urls_trim(apps, schema_editor):
    # Audit events kept webhook URLs whole; their path and query are often the
    # secret of an incoming webhook (chat services), so only the origin stays.
    AuditEvent = apps.get_model("audit", "AuditEvent")
    events = AuditEvent.objects.filter(target_type="audit.webhookendpoint")
    for event in events.iterator():
        after = dict(event.after or {})
        if isinstance(after.get("url"), str):
            after["url"] = _origin(after["url"])
        repr_ = _origin(event.target_repr) if "://" in event.target_repr else event.target_repr
        AuditEvent.objects.filter(pk=event.pk).update(after=after, target_repr=repr_)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_webhookendpoint_webhookdelivery")]

    operations = [migrations.RunPython(webhook_urls_trim, migrations.RunPython.noop)]
