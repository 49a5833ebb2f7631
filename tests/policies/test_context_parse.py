"""The one reader of a decision context (engine.context.context_parse), used by
POST /api/v1/decide, the editor's dry run and the routing client."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from governance.engine.context import Context, ContextInvalid, context_parse


def test_context_parse__nothing_sent__the_documented_defaults():
    assert context_parse({}) == Context(
        task_type="", risk="medium", environment="other", targeting_key="", attributes={}
    )


def test_context_parse__every_field_valid__kept_as_sent():
    sent = {
        "task_type": "unit_test_draft",
        "risk": "high",
        "environment": "ci",
        "targeting_key": "pr-42",
        "attributes": {"repo": "acme/x", "files_changed": 3, "draft": False, "owner": None},
    }

    context = context_parse(sent)

    assert (context.task_type, context.risk, context.environment, context.targeting_key) == (
        "unit_test_draft",
        "high",
        "ci",
        "pr-42",
    )
    assert context.attributes == sent["attributes"]
    assert (context.team, context.client) == (None, None)


def test_context_parse__several_bad_fields__each_named_none_replaced_by_a_default():
    with pytest.raises(ContextInvalid) as refused:
        context_parse(
            {
                "task_type": "x" * 65,
                "risk": "extreme",
                "environment": None,
                "targeting_key": 7,
                "attributes": {"b": [1], "a": {"deep": True}, "ok": 1},
                "colour": "blue",
            }
        )

    assert refused.value.errors == {
        "task_type": ["Must be text of at most 64 characters."],
        "targeting_key": ["Must be text of at most 256 characters."],
        "risk": ["Must be one of low, medium, high, critical."],
        "environment": ["Must be one of ci, ide, cli, api, other."],
        "attributes": [
            "Attribute 'a' must be text (at most 256), a number, a boolean or null.",
            "Attribute 'b' must be text (at most 256), a number, a boolean or null.",
        ],
        "colour": [
            "Unknown field; expected one of attributes, environment, risk, targeting_key, task_type."
        ],
    }


@pytest.mark.parametrize("body", [[], "risk=low", 3, None])
def test_context_parse__not_an_object__refused_as_a_whole(body):
    with pytest.raises(ContextInvalid) as refused:
        context_parse(body)

    assert refused.value.errors == {"non_field_errors": ["The body must be a JSON object."]}


def test_context_parse__null_text_and_attributes__read_as_not_sent():
    context = context_parse({"task_type": None, "targeting_key": None, "attributes": None})

    assert (context.task_type, context.targeting_key, dict(context.attributes)) == ("", "", {})


def test_context_parse__any_mapping__read_like_a_json_object():
    as_dict = {"risk": "low", "attributes": {"repo": "acme/x"}}

    assert context_parse(MappingProxyType(as_dict)) == context_parse(as_dict)
    with pytest.raises(ContextInvalid) as refused:
        context_parse(MappingProxyType({"risk": "lowest"}))
    assert set(refused.value.errors) == {"risk"}


def test_context_parse__too_many_attributes__refused_naming_attributes():
    with pytest.raises(ContextInvalid) as refused:
        context_parse({"attributes": {f"a{i}": i for i in range(65)}})

    assert refused.value.errors == {"attributes": ["At most 64 attributes."]}
