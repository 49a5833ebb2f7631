"""Log lines: JSON for servers, plain for a person at a terminal; one request
id on every line, no secrets, no prompt text."""

import io
import json
import logging
import logging.config

import pytest

from governance.ops.logconfig import logging_config, logging_format
from tests.calls.factories import call_record, post_calls

pytestmark = pytest.mark.django_db


def _handler(fmt: str) -> logging.Handler:
    """The console handler of the `fmt` configuration, writing into a string."""
    config = logging_config(fmt=fmt, level="DEBUG")
    configurator = logging.config.DictConfigurator(config)
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(configurator.configure_formatter(config["formatters"][fmt]))
    handler.addFilter(configurator.configure_filter(config["filters"]["request_id"]))
    return handler


def _lines(caplog, fmt: str) -> list[str]:
    handler = _handler(fmt)
    lines = []
    for record in caplog.records:
        for log_filter in handler.filters:
            log_filter.filter(record)  # type: ignore[union-attr]
        lines.append(handler.format(record))
    return lines


def _formatted(caplog) -> list[dict]:
    return [json.loads(line) for line in _lines(caplog, "json")]


def test_request_log__any_request__is_json_with_the_request_id_sent_back(api_client, caplog):
    caplog.set_level(logging.INFO)

    response = api_client.get("/healthz")

    lines = _formatted(caplog)
    request_line = next(line for line in lines if line["event"] == "http.request")
    assert request_line["request_id"] == response["X-Request-ID"]
    assert request_line["status"] == 200
    assert request_line["route"] == "/healthz"
    assert {"time", "level", "logger"} <= request_line.keys()


def test_request_id__from_a_proxy__is_reused_when_plain_and_replaced_when_not(api_client):
    plain = api_client.get("/healthz", HTTP_X_REQUEST_ID="lb-0123456789abcdef")
    hostile = api_client.get("/healthz", HTTP_X_REQUEST_ID='x"}\n{"level": "forged')

    assert plain["X-Request-ID"] == "lb-0123456789abcdef"
    assert hostile["X-Request-ID"] != 'x"}\n{"level": "forged'
    assert hostile["X-Request-ID"].isalnum()


def test_ingestion_logs__with_prompt_and_key__never_contain_either(api_client, issue_key, caplog):
    caplog.set_level(logging.DEBUG)
    raw, _ = issue_key(scopes=["ingest"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    caplog.clear()

    response = post_calls(
        api_client, [call_record(prompt="TOP-SECRET-PROMPT sk-live-abc", response="SECRET-ANSWER")]
    )

    assert response.status_code == 200
    lines = _formatted(caplog)
    assert (
        len({line["request_id"] for line in lines if line["logger"].startswith("governance.")}) == 1
    )
    everything = "\n".join(json.dumps(line) for line in lines)
    assert "TOP-SECRET-PROMPT" not in everything
    assert "SECRET-ANSWER" not in everything
    assert raw not in everything


def test_log_filter__fields_named_like_secrets__are_blanked(caplog):
    caplog.set_level(logging.INFO)

    logging.getLogger("governance.test").info(
        "key.used", extra={"api_key": "gov_abc_secret", "prompt": "hello"}
    )

    line = _formatted(caplog)[-1]
    assert line["api_key"] == "[redacted]"
    assert line["prompt"] == "[redacted]"


def test_request_log__signed_in_user__logged_by_id(client, admin_user, caplog):
    caplog.set_level(logging.INFO)
    client.force_login(admin_user)

    client.get("/flags/")

    line = next(line for line in _formatted(caplog) if line["event"] == "http.request")
    assert line["user_id"] == admin_user.pk


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_log_format__stderr_a_terminal_or_a_pipe__plain_for_people_json_for_machines(
    monkeypatch,
):
    monkeypatch.delenv("LOG_FORMAT", raising=False)

    assert logging_format(_Terminal()) == "plain"
    assert logging_format(io.StringIO()) == "json"


def test_log_format__log_format_set__wins_over_the_terminal(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "json")

    assert logging_format(_Terminal()) == "json"


def test_plain_log_line__event_with_fields__one_readable_line_with_them_and_no_secret(caplog):
    caplog.set_level(logging.INFO)

    logging.getLogger("governance.audit").info(
        "audit.recorded", extra={"action": "client.create", "target_id": "7", "raw_key": "gov_x"}
    )
    logging.getLogger("celery.worker").info("Task %s succeeded", "budgets.evaluate")

    audit, celery = _lines(caplog, "plain")[-2:]
    assert audit.endswith(
        " INFO audit.recorded action=client.create target_id=7 raw_key=[redacted]"
    )
    assert not audit.startswith("{")
    assert celery.endswith(" INFO celery.worker: Task budgets.evaluate succeeded")
