"""Secret redaction for stored prompts, responses and call metadata.

Every pattern runs on RE2 (google-re2), whose matching time is linear in the
length of the text whatever the text holds. Python's `re` backtracks: some
of detect-secrets' patterns (the npm token's `//.+/:_authToken=`) are
quadratic on a long line without newlines, so one prompt of slashes could
hold an ingestion worker for minutes. No pattern here ever runs on `re`.

The patterns come from detect-secrets' maintained detectors (AWS, GitHub,
GitLab, Slack, Stripe, JWT, basic-auth URLs, private keys, ...), translated
to RE2's syntax (it has no look-around), applied to whole spans so that the
text around a secret stays readable; plus Governor's own patterns for the
shapes those miss: assignments of secret-named keys (`DB_PASSWORD=...`,
`password: ...`, `{"pass": "..."}`, `x-api-key: ...`), `Authorization`
headers, URLs with a password but no user (`redis://:pw@host`), PEM private
keys (to the END line or, without one, to the end of the field), whole
JWTs, the model vendors' keys and Governor's own keys. Entropy-based
detectors are left out: on source code they flag identifiers and hashes and
would shred the text an auditor needs to read.
"""

from __future__ import annotations

import re
import re._parser as sre_parse
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import re2
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

REDACTED = "[REDACTED]"

# Detectors whose patterns are not secrets (public IPs), match too widely, or
# are replaced by Governor's own patterns below (keywords, JWTs, basic auth).
# (Python's re here reads pattern text written in this module, never input.)
_LONG_REPEAT = re.compile(r"\{(\d+),(\d{4,})\}")

_SKIPPED_DETECTORS = {
    "IPPublicDetector",
    "KeywordDetector",
    "Base64HighEntropyString",
    "HexHighEntropyString",
    "JwtTokenDetector",
    "BasicAuthDetector",
}

# RE2 has no look-around. detect-secrets uses it only at the edges of a
# match: a look-behind for "start or a non-word character" before a keyword
# (consumed instead; those patterns mark the secret with a group) and a
# negative look-ahead after a token (dropped: the token is still redacted,
# only its longest form is not required).
_LOOKAROUND_REWRITES = (
    ("(?:(?<=\\W)|(?<=^))", "(?:^|\\W)"),
    ("(?!\\w)", ""),
    ("(?![a-zA-Z0-9_\\-])", ""),
    ("(?![a-f0-9])", ""),
)

# Names whose value is a secret, in assignments, headers, YAML and JSON.
# The secret word ends the name and starts it or follows a separator, so
# DB_PASSWORD, AWS_SECRET_ACCESS_KEY and x-api-key match while bypass,
# max_tokens, token_count and author do not.
_SENSITIVE_NAME = (
    r"(?:[a-z0-9_.\-]*[_.\-])?"
    r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_\-]?key|access[_\-]?key"
    r"|private[_\-]?key|secret[_\-]?key|client[_\-]?secret|credentials?|auth)"
)
# A value: quoted (anything up to the closing quote on that line) or bare (a
# run without spaces, quotes or brackets, ended by a separator or the end of
# the text; a bare value followed by "(" is code, `password = getpass()`).
_VALUE = r"""(?:"([^"\r\n]{3,})"|'([^'\r\n]{3,})'|([^\s"'`()<>\[\]{},;]{3,})(?:[\s,;}\])"'`]|$))"""

_GOVERNOR_PATTERNS = (
    # Assignments and fields: PASSWORD=x, "pass": "x", password: x, x-api-key: x.
    rf"""(?i)(?:^|[^a-z0-9_\-]){_SENSITIVE_NAME}["']?[ \t]*(?:=|:=|:|=>)[ \t]*{_VALUE}""",
    # Authorization headers, whatever the scheme.
    r"(?i)\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:basic|bearer|token|digest|apikey)?[ \t]*([A-Za-z0-9._~+/=\-]{8,})",
    r"(?i)\bbearer[ \t]+([A-Za-z0-9._~+/\-]{16,}=*)",
    # A password in a URL, with or without a user (redis://:pw@host).
    r"://[^:/?#\[\]@\s]*:([^/?#\[\]@\s]+)@",
    # PEM private keys: to the END line, or to the end of the field without one.
    r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
    # A whole JWT, signature included.
    r"\beyJ[A-Za-z0-9_=\-]+\.[A-Za-z0-9_=\-]+\.?[A-Za-z0-9_.+/=\-]*",
    # OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-) keys.
    r"\bsk-(?:proj-|ant-(?:api\d\d-)?|svcacct-)?[A-Za-z0-9_\-]{20,}",
    r"\bgov_[0-9a-f]{12}_[A-Za-z0-9_\-]{20,}",
    r"\bAIza[0-9A-Za-z_\-]{35}\b",
    r"\bhf_[A-Za-z0-9]{30,}\b",
    r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{20,}",
    r"\bgithub_pat_[A-Za-z0-9_]{22,}",
    r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    r"\bAKIA[0-9A-Z]{16}\b",
)

# Values a secret-named key often holds that are not secrets.
_NOT_SECRETS = frozenset({"true", "false", "null", "none", "nil", "undefined", "***", "xxx"})


def _re2(pattern: str, *, ignore_case: bool = False) -> re2._Regexp:
    options = re2.Options()
    options.case_sensitive = not ignore_case
    # A pattern RE2 cannot take raises here: never a fallback to a slower engine.
    options.log_errors = False
    return re2.compile(pattern, options)


def _translated(pattern: str) -> str:
    for old, new in _LOOKAROUND_REWRITES:
        pattern = pattern.replace(old, new)
    # RE2 counts repetitions up to 1000; a longer bound only widens a token.
    return _LONG_REPEAT.sub(r"{\1,}", pattern)


@lru_cache(maxsize=1)
def detector_patterns() -> tuple[Any, ...]:
    """Every pattern the redactor runs, compiled by RE2 (an error, not a slow
    fallback, if one cannot be)."""
    compiled = [_re2(p) for p in _GOVERNOR_PATTERNS]
    detectors: list[type] = list(get_mapping_from_secret_type_to_class().values())
    compiled.extend(
        _re2(_translated(pattern.pattern), ignore_case=bool(pattern.flags & re.IGNORECASE))
        for cls in detectors
        if cls.__name__ not in _SKIPPED_DETECTORS
        for pattern in getattr(cls, "denylist", ()) or ()
    )
    return tuple(compiled)


@lru_cache(maxsize=1)
def _prefilter() -> Any:
    """One RE2 set of every pattern: a single linear pass says which patterns
    match at all, so the common text without secrets is scanned once."""
    candidates = re2.Set.SearchSet(re2.Options())
    for pattern in detector_patterns():
        candidates.Add(pattern.pattern)
    candidates.Compile()
    return candidates


def _secret_span(match: Any) -> tuple[int, int]:
    # A pattern with groups marks the secret with the first one that took part
    # (the value of an assignment, the password in a URL); otherwise the whole
    # match is the secret.
    for group in range(1, match.re.groups + 1):
        start, end = match.span(group)
        if start >= 0 and end > start:
            return start, end
    return match.span()


def _spans(text: str) -> Iterator[tuple[int, int]]:
    patterns = detector_patterns()
    for index in _prefilter().Match(text) or ():
        for match in patterns[index].finditer(text):
            start, end = _secret_span(match)
            if end > start and text[start:end].strip("'\"").lower() not in _NOT_SECRETS:
                yield start, end


@lru_cache(maxsize=1)
def shortest_secret() -> int:
    """No pattern matches fewer characters than this: shorter text holds no secret.
    (Python's parser measures RE2's pattern text; 0, never skipping, if it cannot.)"""
    widths = []
    for pattern in detector_patterns():
        try:
            widths.append(sre_parse.parse(pattern.pattern.replace(r"\z", "$")).getwidth()[0])
        except re.error:
            return 0
    return min(widths, default=0)


def redact(text: str | None) -> str:
    """`text` with every secret found replaced by [REDACTED]."""
    if not text:
        return ""
    if len(text) < shortest_secret():
        return text
    spans = sorted(_spans(text))
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out.append(text[cursor:start])
        out.append(REDACTED)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


_SENSITIVE_KEY = _re2(rf"(?i)^{_SENSITIVE_NAME}$")


@lru_cache(maxsize=4096)
def _key_sensitive(name: str) -> bool:
    # Metadata keys repeat from call to call (repo, pipeline, job): each name
    # is matched once per process, not once per call. Keys are stored as sent
    # anyway, so remembering them keeps nothing the database does not.
    return _SENSITIVE_KEY.search(name) is not None


# Metadata strings found to hold no secret (a repository, a pipeline, a job name
# repeat from call to call): each is scanned once per process. Only strings
# stored verbatim are remembered, so the memory keeps nothing the database does
# not; it is bounded, and emptied when full.
_CLEAN_VALUE_CHARS = 256
_CLEAN_VALUES_MAX = 4096
_clean_values: set[str] = set()


def _clean_value_remember(text: str) -> None:
    if len(_clean_values) >= _CLEAN_VALUES_MAX:
        _clean_values.clear()
    _clean_values.add(text)


def _flat_and_clean(mapping: dict) -> bool:
    # The common metadata, {"repo": ..., "pull_request": 812}: no container
    # inside, no secret-named key with a value, every string short or known clean.
    shortest = shortest_secret()
    for name, child in mapping.items():
        if not isinstance(name, str) or (child not in (None, "") and _key_sensitive(name)):
            return False
        if isinstance(child, str):
            if len(child) >= shortest and child not in _clean_values:
                return False
        elif isinstance(child, dict | list):
            return False
    return True


def redact_value(value: Any) -> Any:
    """A JSON value (call metadata) with secrets redacted: every string is
    redacted as text, and the whole value of a secret-named key is replaced.
    Iterative, so nesting depth costs no stack."""
    if type(value) is dict and _flat_and_clean(value):
        return value
    root: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        item = container[key]
        if isinstance(item, str):
            if item not in _clean_values:
                container[key] = cleaned = redact(item)
                if cleaned is item and len(item) <= _CLEAN_VALUE_CHARS:
                    _clean_value_remember(item)
        elif isinstance(item, dict):
            copy = dict(item)
            container[key] = copy
            for name, child in copy.items():
                if isinstance(name, str) and child not in (None, "") and _key_sensitive(name):
                    copy[name] = REDACTED
                else:
                    stack.append((copy, name))
        elif isinstance(item, list):
            copy_list = list(item)
            container[key] = copy_list
            stack.extend((copy_list, i) for i in range(len(copy_list)))
    return root[0]
