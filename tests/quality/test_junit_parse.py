"""Reading JUnit XML as real tools write it (fixtures are such reports)."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.quality.junit import JUnitCounts, JUnitReportError, junit_parse

FIXTURES = Path(__file__).parent / "fixtures"
LIMIT = 1024 * 1024


def parse(name: str) -> JUnitCounts:
    return junit_parse((FIXTURES / name).read_bytes(), max_bytes=LIMIT)


def test_junit_parse__pytest_failure_then_teardown_error__counts_one_failed_test():
    # test_discount_applies_once is reported twice (failure, then teardown error).
    counts = parse("pytest.xml")
    assert counts == JUnitCounts(total=6, passed=3, failed=1, errored=1, skipped=1, flaky=0)


def test_junit_parse__surefire_bare_testsuite_with_reruns__flaky_tests_count_once_as_passed():
    # settlesAfterCutoff and reconcilesWithBank passed on rerun; roundsFeesHalfEven
    # failed every rerun; times such as "1,234.5" do not get in the way.
    counts = parse("surefire.xml")
    assert counts == JUnitCounts(total=6, passed=4, failed=1, errored=0, skipped=1, flaky=2)


def test_junit_parse__jest_junit__counts_failures_and_skips():
    assert parse("jest-junit.xml") == JUnitCounts(
        total=5, passed=3, failed=1, errored=0, skipped=1, flaky=0
    )


def test_junit_parse__go_junit_report__build_failure_is_an_error():
    assert parse("go-junit-report.xml") == JUnitCounts(
        total=5, passed=2, failed=1, errored=1, skipped=1, flaky=0
    )


def test_junit_parse__rerun_reported_as_a_second_passing_entry__counts_once_as_passed():
    body = b"""<testsuites><testsuite name="s">
      <testcase classname="C" name="t"><failure message="timeout"/></testcase>
      <testcase classname="C" name="t"/>
    </testsuite></testsuites>"""
    assert junit_parse(body, max_bytes=LIMIT) == JUnitCounts(
        total=1, passed=1, failed=0, errored=0, skipped=0, flaky=0
    )


def test_junit_parse__test_cases_without_names__each_counts():
    body = b"<testsuite><testcase/><testcase><failure/></testcase><testcase/></testsuite>"
    assert junit_parse(body, max_bytes=LIMIT) == JUnitCounts(
        total=3, passed=2, failed=1, errored=0, skipped=0, flaky=0
    )


@pytest.mark.parametrize("name", ["billion-laughs.xml", "external-entity.xml", "doctype-only.xml"])
def test_junit_parse__dtd_or_entities__are_refused_before_expansion(name):
    with pytest.raises(JUnitReportError) as error:
        parse(name)
    assert error.value.code == "forbidden_xml"


def test_junit_parse__body_over_the_limit__is_refused_without_parsing():
    body = (FIXTURES / "pytest.xml").read_bytes()
    with pytest.raises(JUnitReportError) as error:
        junit_parse(body, max_bytes=len(body) - 1)
    assert error.value.code == "too_large"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<testsuites><testsuite>", "malformed_xml"),
        (b"", "malformed_xml"),
        (b"<coverage line-rate='0.9'/>", "not_junit"),
    ],
)
def test_junit_parse__not_a_junit_report__says_why(body, code):
    with pytest.raises(JUnitReportError) as error:
        junit_parse(body, max_bytes=LIMIT)
    assert error.value.code == code


_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12
)
_results = st.sampled_from(
    ["", "<failure/>", "<error/>", "<skipped/>", "<flakyFailure/>", "<rerunFailure/>"]
)


@st.composite
def junit_documents(draw) -> bytes:
    cases = draw(st.lists(st.tuples(_names, _names, _results), max_size=8))
    body = "".join(
        f'<testcase classname="{escape(c, {chr(34): "&quot;"})}" name="{escape(n, {chr(34): "&quot;"})}">{r}</testcase>'
        for c, n, r in cases
    )
    root = draw(
        st.sampled_from(
            ["<testsuites><testsuite>{}</testsuite></testsuites>", "<testsuite>{}</testsuite>"]
        )
    )
    return root.format(body).encode()


@given(junit_documents())
def test_junit_parse__any_report__counts_add_up_and_never_exceed_the_cases(body):
    counts = junit_parse(body, max_bytes=LIMIT)
    assert counts.total == counts.passed + counts.failed + counts.errored + counts.skipped
    assert counts.total <= body.count(b"<testcase ")
    assert counts.flaky <= counts.passed


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_junit_parse__arbitrary_bytes__either_counts_or_a_named_refusal(body):
    try:
        counts = junit_parse(body, max_bytes=LIMIT)
    except JUnitReportError as error:
        assert error.code in {"malformed_xml", "forbidden_xml", "not_junit"}
    else:
        assert counts.total >= 0
