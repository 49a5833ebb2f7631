"""One URL for production: GOVERNOR_URL implies the hosts, origins and TLS
settings, each still overridable by its own variable. Settings are read once
per process from the environment, so each case runs in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from governance.core.env import ConfigurationError
from governance.ops.deployment import deployment_defaults

ROOT = Path(__file__).resolve().parents[2]
URL = "https://governor.example.com"
SECRET = "a-long-random-production-secret-key-for-these-tests-0123456789abcdef"
SHOWN = (
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
)
PRINT_SETTINGS = f"""
import json, django
django.setup()
from django.conf import settings
print(json.dumps({{name: getattr(settings, name, None) for name in {SHOWN!r}}}))
"""


def run_child(tmp_path, args, **env) -> subprocess.CompletedProcess:
    """Python in a child process with only these variables (and the database in tmp_path)."""
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "governance.settings",
        "GOVERNOR_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        **env,
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_in_child(tmp_path, **env) -> dict:
    done = run_child(tmp_path, ["-c", PRINT_SETTINGS], **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_settings__only_governor_url_and_secret__every_tls_setting_follows(tmp_path):
    shown = settings_in_child(tmp_path, GOVERNOR_URL=URL, SECRET_KEY=SECRET)

    assert shown == {
        "DEBUG": False,
        "ALLOWED_HOSTS": ["governor.example.com"],
        "CSRF_TRUSTED_ORIGINS": ["https://governor.example.com"],
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_settings__governor_url_and_own_variables__each_variable_wins(tmp_path):
    shown = settings_in_child(
        tmp_path,
        GOVERNOR_URL=URL,
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="governor.example.com,10.0.0.5",
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_PRELOAD="0",
        GOVERNOR_BEHIND_TLS_PROXY="0",
    )

    assert shown["ALLOWED_HOSTS"] == ["governor.example.com", "10.0.0.5"]
    assert shown["SECURE_HSTS_SECONDS"] == 600
    assert shown["SECURE_HSTS_PRELOAD"] is False
    assert shown["SECURE_PROXY_SSL_HEADER"] is None
    assert shown["SESSION_COOKIE_SECURE"] is True


def test_settings__nothing_set__plain_http_on_loopback(tmp_path):
    shown = settings_in_child(tmp_path)

    assert shown["DEBUG"] is False
    assert shown["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "testserver"]
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SESSION_COOKIE_SECURE"] is False
    assert shown["SECURE_PROXY_SSL_HEADER"] is None


def deploy_check(tmp_path, **env) -> subprocess.CompletedProcess:
    command = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return run_child(tmp_path, command, GOVERNOR_URL=URL, SECRET_KEY=SECRET, **env)


def test_deploy_check__governor_url_secret_and_database_only__no_warning(tmp_path):
    done = deploy_check(tmp_path)

    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_deploy_check__secure_cookie_switched_off__warns_about_it(tmp_path):
    done = deploy_check(tmp_path, SESSION_COOKIE_SECURE="0")

    assert done.returncode != 0
    assert "security.W012" in done.stderr


def test_settings__governor_url_without_secret_key__refused_naming_secret_key(tmp_path):
    done = run_child(tmp_path, ["-c", PRINT_SETTINGS], GOVERNOR_URL=URL)

    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


def test_deployment_defaults__plain_http_url__hosts_and_origin_without_tls():
    derived = deployment_defaults("http://governor.internal:8000")

    assert derived["ALLOWED_HOSTS"] == ["governor.internal"]
    assert derived["CSRF_TRUSTED_ORIGINS"] == ["http://governor.internal:8000"]
    assert not derived["SECURE_SSL_REDIRECT"]
    assert not derived["SESSION_COOKIE_SECURE"]
    assert derived["SECURE_HSTS_SECONDS"] == 0


@pytest.mark.parametrize(
    "url",
    ["governor.example.com", "ftp://governor.example.com", "https://", "https://x.com/governor"],
)
def test_deployment_defaults__not_a_site_root__refused_naming_governor_url(url):
    with pytest.raises(ConfigurationError, match="GOVERNOR_URL"):
        deployment_defaults(url)
