"""Scrub secrets from any text that leaves the process.

Two layers: patterns that look like credentials wherever they appear (SAS
signatures, AccountKey=..., Authorization headers, user:pass@ in URLs) and the
exact values of every secret dsctl has handled in this process (registered by
the options builders as they read them).
"""

from __future__ import annotations

import re

_known: set[str] = set()

# A value ends at a character that cannot be part of it in its context: whitespace,
# quotes, '&' in a URL query, ';' in a connection string. A closing bracket at its
# very end, with no opening one inside it, closes the text around the value (the
# `(<url>)` of an error line), so it is kept: `(s3://b/k?sig=****)`.
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}


def _mask_value(m: re.Match) -> str:
    value, tail = m.group(2), ""
    while value and value[-1] in _CLOSERS and _CLOSERS[value[-1]] not in value:
        value, tail = value[:-1], value[-1] + tail
    return m.group(1) + "****" + tail


_PATTERNS = [
    # query-string signatures and tokens (Azure SAS sig=, S3 presigned X-Amz-*); base64,
    # hex or percent-encoded: never '&' or ';'
    (re.compile(r"(?i)((?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|token|access_token)=)([^&;\s'\"]+)"), _mask_value),
    # the same names as URL query parameters: the value ends at the next '&'
    (re.compile(r"(?i)([?&][\w.-]*(?:accountkey|sharedaccesssignature|password|secret)=)([^&\s'\"]+)"), _mask_value),
    # connection-string style secrets: the value ends at ';' ('&' may be part of it)
    (re.compile(r"(?i)((?:accountkey|sharedaccesssignature|password|secret)\s*=\s*)(?!\*\*\*\*)([^;\s'\"]+)"), _mask_value),
    # HTTP authorization headers
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:bearer|basic|aws4-hmac-sha256|sharedkey)?\s*[^'\"\n,}]+"), r"\1****"),
    # user:password@ in URLs
    (re.compile(r"(\w+://[^/\s:@]+:)[^@/\s]+@"), r"\1****@"),
]


_USERINFO = _PATTERNS[-1][0]


def hide_password(url: str) -> str:
    """`url` with the password of a `user:password@` masked - for URLs printed as data
    (ls --json, stat), where scrub's other patterns could change a file's own name."""
    return _USERINFO.sub(r"\1****@", url)


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
