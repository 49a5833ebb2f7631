"""Production refuses to start without SECRET_KEY, and a generated key file
is readable by its owner only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SETUP = "import django; django.setup(); from django.conf import settings; print(len(settings.SECRET_KEY))"


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    base.update(
        {"DJANGO_SETTINGS_MODULE": "governance.settings", "GOVERNOR_VAR_DIR": str(tmp_path)}
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=settings.BASE_DIR,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings__production_url_without_secret_key__refuses_to_start(tmp_path):
    started = _start(tmp_path, GOVERNOR_URL="https://governor.example.com")

    assert started.returncode != 0
    assert "SECRET_KEY must be set in production" in started.stderr
    assert not (tmp_path / "secret_key").exists()


def test_settings__production_with_secret_key_file__key_generated_owner_only(tmp_path):
    key_file = tmp_path / "keys" / "governor.key"
    key_file.parent.mkdir()

    started = _start(
        tmp_path, GOVERNOR_URL="https://governor.example.com", SECRET_KEY_FILE=str(key_file)
    )

    assert started.returncode == 0, started.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert int(started.stdout.strip()) >= 50


def test_settings__development_key_file_left_world_readable__closed_to_its_owner(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 60)
    key_file.chmod(0o644)

    started = _start(tmp_path)

    assert started.returncode == 0, started.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
