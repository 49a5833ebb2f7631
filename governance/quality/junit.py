"""Read a JUnit XML report into test counts (no Django).

The body is parsed by defusedxml (no DTDs, no entities, no external
references: billion-laughs and XXE are refused before any expansion) and the
resulting tree is read with junitparser, so every producer's dialect goes
through one maintained reader.

How the report's test cases become counts (the pass-rate rules):

- A test is identified by (classname, name). pytest reports a test that
  fails and then errors in teardown as two <testcase> elements; they are one
  test, and it failed.
- A test passed if any of its entries passed (a rerun that passed, as the
  Gradle retry plugin reports it), or if its only problems are Surefire's
  <flakyFailure>/<flakyError> (it passed on rerun): counted once, as passed,
  and also in `flaky`.
- Otherwise it failed if any entry has <failure> (Surefire's <rerunFailure>
  accompanies a <failure>), else errored if any has <error>, else skipped.
- Times are never needed, so Surefire's "1,234.5" cannot break a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from junitparser import Error, Failure, JUnitXml, JUnitXmlError, Skipped, TestCase

FLAKY_TAGS = frozenset({"flakyFailure", "flakyError"})


class JUnitReportError(ValueError):
    """A report that cannot be accepted; `code` says why (for the API's error body)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class JUnitCounts:
    total: int
    passed: int
    failed: int
    errored: int
    skipped: int
    flaky: int


class _Status(IntEnum):
    # Ordered by how a test's duplicate entries combine when none passed.
    SKIPPED = 0
    ERRORED = 1
    FAILED = 2


def junit_parse(body: bytes, *, max_bytes: int) -> JUnitCounts:
    if len(body) > max_bytes:
        raise JUnitReportError(f"the report is larger than {max_bytes} bytes", code="too_large")
    try:
        root = defused_fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise JUnitReportError(
            f"the report declares a DTD, entities or external references, which are refused ({type(exc).__name__})",
            code="forbidden_xml",
        ) from None
    except ParseError as exc:
        raise JUnitReportError(
            f"the report is not well-formed XML: {exc}", code="malformed_xml"
        ) from None
    try:
        report = JUnitXml.fromroot(root)
    except JUnitXmlError:
        raise JUnitReportError(
            f"the root element is <{root.tag}>; a JUnit report has <testsuites> or <testsuite>",
            code="not_junit",
        ) from None
    return _count(case for suite in report for case in suite)


def _count(cases) -> JUnitCounts:
    passed_tests: set[tuple[str, str]] = set()
    flaky_tests: set[tuple[str, str]] = set()
    other: dict[tuple[str, str], _Status] = {}
    for index, case in enumerate(cases):
        # A nameless test case cannot be the repeat of another: keep it apart.
        key = (case.classname or "", case.name) if case.name else ("", f"#{index}")
        status = _status_of(case)
        if status is None:
            passed_tests.add(key)
            if any(elem.tag in FLAKY_TAGS for elem in case._elem):
                flaky_tests.add(key)
        else:
            other[key] = max(status, other.get(key, status))
    not_passed = [status for key, status in other.items() if key not in passed_tests]
    failed = sum(1 for s in not_passed if s is _Status.FAILED)
    errored = sum(1 for s in not_passed if s is _Status.ERRORED)
    skipped = sum(1 for s in not_passed if s is _Status.SKIPPED)
    passed = len(passed_tests)
    return JUnitCounts(
        total=passed + failed + errored + skipped,
        passed=passed,
        failed=failed,
        errored=errored,
        skipped=skipped,
        flaky=len(flaky_tests),
    )


def _status_of(case: TestCase) -> _Status | None:
    results = case.result
    if any(isinstance(r, Failure) for r in results):
        return _Status.FAILED
    if any(isinstance(r, Error) for r in results):
        return _Status.ERRORED
    if any(isinstance(r, Skipped) for r in results):
        return _Status.SKIPPED
    return None
