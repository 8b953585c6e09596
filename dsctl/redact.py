"""Scrub secrets from any text that leaves the process.

Two layers: patterns that look like credentials wherever they appear (SAS
signatures, AccountKey=..., Authorization headers, user:pass@ in URLs) and the
exact values of every secret dsctl has handled in this process (registered by
the options builders as they read them).
"""

from __future__ import annotations

import re

_known: set[str] = set()

_PATTERNS = [
    # query-string signatures and tokens (Azure SAS sig=, S3 presigned X-Amz-*)
    (re.compile(r"(?i)((?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|token|access_token)=)[^&\s'\"]+"), r"\1****"),
    # connection-string style secrets
    (re.compile(r"(?i)((?:accountkey|sharedaccesssignature|password|secret)\s*=\s*)[^;\s'\"]+"), r"\1****"),
    # HTTP authorization headers
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:bearer|basic|aws4-hmac-sha256|sharedkey)?\s*[^'\"\n,}]+"), r"\1****"),
    # user:password@ in URLs
    (re.compile(r"(\w+://[^/\s:@]+:)[^@/\s]+@"), r"\1****@"),
]


def register(*secrets: str | None) -> None:
    """Remember secret values so that `scrub` removes them from any text."""
    for s in secrets:
        if s and len(s) >= 4:
            _known.add(s)


def scrub(text: str) -> str:
    """Return text with every known secret and credential-looking value masked."""
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "****")
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text
