from pathlib import Path

from django.conf import settings
from django.db import models

from governance.core.jobs import ProgressJob


def exports_dir() -> Path:
    """Where export files are written (under VAR_DIR), created on first use."""
    path = Path(settings.VAR_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


class ExportJob(ProgressJob):
    """A CSV export of raw calls, too large to answer in a request: a Celery
    task writes it under var/exports/ and moves `done` (rows written) towards
    `total` (rows matched) so the page can show a progress bar."""

    job_kind = "CSV export"
    job_task = "governance.dashboard.tasks.export_calls_csv"

    filters = models.JSONField(default=dict)
    file_name = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"export {self.id} {self.status}"

    def job_subject(self) -> str:
        return " ".join(f"{key}={value}" for key, value in sorted(self.filters.items()))

    def discard(self) -> None:
        if self.file_name:
            (exports_dir() / self.file_name).unlink(missing_ok=True)
        super().discard()
