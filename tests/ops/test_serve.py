"""The web server's settings, read from the environment and refused with a
message that names the variable when they make no sense."""

import io
import json
import logging.config

import pytest

from governance.core.env import ConfigurationError
from governance.ops.serve import server_options, switch_interval


@pytest.fixture
def clean_env(monkeypatch):
    for name in (
        "GOVERNOR_BIND",
        "PORT",
        "WEB_CONCURRENCY",
        "WEB_THREADS",
        "WEB_BACKPRESSURE",
        "WEB_WORKER_LIFETIME",
        "WEB_WORKER_MAX_RSS_MB",
        "WEB_GRACEFUL_TIMEOUT",
        "WEB_SWITCH_INTERVAL_MS",
        "LOG_LEVEL",
        "LOG_FORMAT",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_serve__nothing_set__loopback_port_8000_cores_plus_one_workers_of_two_threads(clean_env):
    clean_env.setattr("governance.ops.serve.os.cpu_count", lambda: 2)

    options = server_options()

    assert (options["address"], options["port"]) == ("127.0.0.1", 8000)
    assert options["workers"] == 3
    assert options["blocking_threads"] == 2
    assert options["backpressure"] == 8
    assert options["respawn_failed_workers"] is True
    assert options["workers_lifetime"] is None
    assert options["workers_max_rss"] == 1024
    assert options["log_access"] is False


def test_serve__bind_workers_and_recycling__taken_from_the_environment(clean_env):
    clean_env.setenv("GOVERNOR_BIND", "0.0.0.0:9000")
    clean_env.setenv("WEB_CONCURRENCY", "4")
    clean_env.setenv("WEB_THREADS", "3")
    clean_env.setenv("WEB_WORKER_LIFETIME", "3600")
    clean_env.setenv("WEB_WORKER_MAX_RSS_MB", "0")

    options = server_options()

    assert (options["address"], options["port"]) == ("0.0.0.0", 9000)  # noqa: S104
    assert (options["workers"], options["blocking_threads"]) == (4, 3)
    assert options["backpressure"] == 12
    assert options["workers_lifetime"] == 3600
    assert options["workers_max_rss"] is None


def test_serve__ipv6_bind__brackets_removed(clean_env):
    clean_env.setenv("GOVERNOR_BIND", "[::1]:8001")

    options = server_options()

    assert (options["address"], options["port"]) == ("::1", 8001)


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("GOVERNOR_BIND", "localhost", "GOVERNOR_BIND"),
        ("GOVERNOR_BIND", "localhost:http", "GOVERNOR_BIND"),
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY"),
        ("WEB_THREADS", "many", "WEB_THREADS"),
        ("WEB_WORKER_LIFETIME", "30", "WEB_WORKER_LIFETIME"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
    ],
)
def test_serve__nonsense_setting__refused_naming_the_variable(clean_env, name, value, named):
    clean_env.setenv(name, value)

    with pytest.raises(ConfigurationError, match=named):
        server_options()


def test_serve__gil_switch_interval__half_a_millisecond_unless_set(clean_env):
    # A decision waiting for the GIL behind an ingested batch waits this long.
    assert switch_interval() == 0.0005
    clean_env.setenv("WEB_SWITCH_INTERVAL_MS", "2")
    assert switch_interval() == 0.002
    clean_env.setenv("WEB_SWITCH_INTERVAL_MS", "0")
    with pytest.raises(ConfigurationError, match="WEB_SWITCH_INTERVAL_MS"):
        switch_interval()


def test_serve__server_log_lines__are_json_like_the_application_s(clean_env):
    clean_env.setenv("LOG_FORMAT", "json")
    config = server_options()["log_dictconfig"]
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        logging.getLogger("_granian").info("Listening at: http://127.0.0.1:8000")
    finally:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)

    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["logger"] == "_granian"
    assert line["event"] == "Listening at: http://127.0.0.1:8000"
    assert line["request_id"] == "-"
