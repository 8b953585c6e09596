"""URL grammar (SPEC section 1): split what the user typed into scheme and path.

Parsing is pure string work; no backend is imported here.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from ..errors import UsageError

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*)://(.*)$", re.S)

# Schemes that name the same store; the canonical name keys the registry.
ALIASES = {"gcs": "gs", "abfs": "az", "abfss": "az", "file": "local", "https": "http", "s3a": "s3"}

GLOB_CHARS = re.compile(r"[*?\[]")


class Location(NamedTuple):
    """A parsed URL.

    `scheme` is canonical ("local", "memory", "http", "s3", "gs", "az", "ds",
    "store", "-" or a pass-through fsspec protocol); `given_scheme` is what the
    user typed; `rest` is everything after `scheme://` (or the local path).
    """

    raw: str
    scheme: str
    given_scheme: str
    rest: str
    literal: bool = False   # wildcard characters are the name's own (see storage.globs.expand)

    @property
    def trailing_slash(self) -> bool:
        """Whether the URL names a directory's contents (`d/`). A local `.` or `..`
        (`cp -r . dst/`) does too: it has no name of its own to copy the directory
        under - GNU cp, aws s3 cp and rsync copy the contents."""
        if self.raw.endswith("/"):
            return True
        if self.scheme != "local":
            return False
        return self.raw.endswith(os.sep) or self.raw.replace(os.sep, "/").rsplit("/", 1)[-1] in (".", "..")

    @property
    def has_glob(self) -> bool:
        if self.literal:
            return False
        if self.scheme == "http":
            # '?' starts a query string in a URL; only '*' and '[' glob there.
            return bool(re.search(r"[*\[]", self.rest))
        return bool(GLOB_CHARS.search(self.rest))


def parse(raw: str, allow_root: bool = False) -> Location:
    """Parse a URL or path; malformed input raises UsageError (exit 2).

    `allow_root` accepts a bare `s3://` (every bucket), for profiles with no root."""
    if raw is None or raw == "":
        raise UsageError("empty URL")
    if raw == "-":
        return Location(raw, "-", "-", "")
    if "\x00" in raw:
        raise UsageError("URL contains a NUL byte", raw)
    m = _SCHEME.match(raw)
    if not m:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:/(?!/)", raw) and not os.path.exists(raw):
            raise UsageError("malformed URL: expected scheme://", raw)
        return Location(raw, "local", "", raw)
    given, rest = m.group(1).lower(), m.group(2)
    scheme = ALIASES.get(given, given)
    if scheme == "local":
        if not rest.startswith("/"):
            raise UsageError("file:// URLs need an absolute path (file:///abs/path)", raw)
        return Location(raw, scheme, given, rest)
    if scheme in ("s3", "gs", "az", "ds") and (rest.startswith("/") or not (rest or allow_root and scheme != "ds")):
        what = {"s3": "bucket", "gs": "bucket", "az": "container", "ds": "profile name"}[scheme]
        raise UsageError(f"malformed URL: missing {what}", raw)
    if scheme == "http" and not rest.split("/", 1)[0]:
        raise UsageError("malformed URL: missing host", raw)
    if scheme == "http":
        from urllib.parse import urlsplit   # imported by http's backend anyway

        try:
            parts = urlsplit(raw)
            parts.port   # `[::1` or a port of letters: not a place to ask
        except ValueError as e:
            raise UsageError(f"malformed URL: {e}", raw) from None
        if not parts.hostname:   # `http://:80/`, `http://user@/`
            raise UsageError("malformed URL: missing host", raw)
    return Location(raw, scheme, given, rest)


def join(base: str, rel: str) -> str:
    """Join a relative key onto a store path with exactly one '/' between."""
    if not rel:
        return base
    if not base:
        return rel
    return base.rstrip("/") + "/" + rel


def basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]
