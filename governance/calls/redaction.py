"""Secret redaction for stored prompts and responses.

The patterns come from detect-secrets' maintained detectors (AWS, GitHub,
GitLab, Slack, Stripe, JWT, basic-auth URLs, private keys, ...), applied to
whole spans so that the text around a secret stays readable, plus its keyword
detector for `password = "..."`-style assignments. A few shapes it does not
cover are added here: the model vendors' own API keys, bearer tokens, whole
PEM private-key blocks and Governor's own keys. Entropy-based detectors are left
out: on source code they flag identifiers and hashes, and would shred the text
an auditor needs to read.
"""

from __future__ import annotations

import re
from functools import lru_cache

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.keyword import KeywordDetector

REDACTED = "[REDACTED]"

# Detectors whose patterns are not secrets (public IPs) or match too widely.
_SKIPPED_DETECTORS = {
    "IPPublicDetector",
    "KeywordDetector",
    "Base64HighEntropyString",
    "HexHighEntropyString",
}

_EXTRA_PATTERNS = [
    # PEM blocks: the detect-secrets pattern matches the header line only.
    re.compile(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
        re.S,
    ),
    # OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-) keys.
    re.compile(r"\bsk-(?:proj-|ant-(?:api\d\d-)?|svcacct-)?[A-Za-z0-9_\-]{20,}"),
    re.compile(r"\bgov_[0-9a-f]{12}_[A-Za-z0-9_\-]{20,}"),
    re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/\-]{16,}=*"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
]


@lru_cache(maxsize=1)
def _detector_patterns() -> tuple[re.Pattern[str], ...]:
    patterns: list[re.Pattern[str]] = list(_EXTRA_PATTERNS)
    detectors: list[type] = list(get_mapping_from_secret_type_to_class().values())
    for cls in detectors:
        if cls.__name__ in _SKIPPED_DETECTORS:
            continue
        patterns.extend(getattr(cls, "denylist", ()) or ())
    return tuple(patterns)


def _spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for pattern in _detector_patterns():
        for match in pattern.finditer(text):
            # A pattern with a group (e.g. the password inside a URL) marks the
            # secret itself; otherwise the whole match is the secret.
            start, end = match.span(1) if match.re.groups and match.group(1) else match.span()
            if end > start:
                spans.append((start, end))
    return spans


def _keyword_values(text: str) -> set[str]:
    detector = KeywordDetector()
    values: set[str] = set()
    for line in text.splitlines():
        for secret in detector.analyze_line(filename="prompt.txt", line=line, line_number=0):
            if secret.secret_value and len(secret.secret_value) >= 4:
                values.add(secret.secret_value)
    return values


def redact(text: str | None) -> str:
    """`text` with every secret found replaced by [REDACTED]."""
    if not text:
        return ""
    spans = _spans(text)
    for value in _keyword_values(text):
        start = text.find(value)
        while start != -1:
            spans.append((start, start + len(value)))
            start = text.find(value, start + len(value))
    if not spans:
        return text
    spans.sort()
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
