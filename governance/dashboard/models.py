from django.db import models

from governance.core.jobs import ProgressJob


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
        from governance.dashboard.services import exports_dir

        if self.file_name:
            (exports_dir() / self.file_name).unlink(missing_ok=True)
        super().discard()
