"""Typed errors and the one exit-status table (SPEC section 3).

Everything below `dsctl.cli` raises these; backend exceptions are turned into
them at the storage boundary (`dsctl.storage.translate`). Only `dsctl.cli.main`
maps them to a process exit code.
"""

from __future__ import annotations

import enum
import re


class ExitCode(enum.IntEnum):
    OK = 0
    PARTIAL = 1
    USAGE = 2
    NOT_FOUND = 3
    ACCESS_DENIED = 4
    TRANSIENT = 5
    INTEGRITY = 6
    UNSUPPORTED = 7
    INTERRUPTED = 130


class DsctlError(Exception):
    """Base error: a one-line message, the URL it concerns, and its exit code."""

    exit_code: ExitCode = ExitCode.PARTIAL

    def __init__(self, message: str, url: str | None = None):
        super().__init__(message)
        self.message = message
        self.url = url

    def __str__(self) -> str:
        return printable(f"{self.message} ({self.url})" if self.url else self.message)


# C0 controls but tab, DEL, C1 controls: a key named `\x1b[2J…` would clear the screen
_CONTROLS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def printable(text: str) -> str:
    """`text` as one line that cannot drive a terminal: S3 keys and file names may hold
    newlines and escape sequences; each is shown escaped (`\\n`, `\\x1b`), as GNU ls
    quotes them."""
    return _CONTROLS.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


class UsageError(DsctlError):
    exit_code = ExitCode.USAGE


class NotFound(DsctlError):
    exit_code = ExitCode.NOT_FOUND


class MissingBucket(NotFound):
    """The bucket or container itself does not exist: everything under it fails alike."""


class AccessDenied(DsctlError):
    exit_code = ExitCode.ACCESS_DENIED


class TransientError(DsctlError):
    exit_code = ExitCode.TRANSIENT


class IntegrityError(DsctlError):
    exit_code = ExitCode.INTEGRITY


class Unsupported(DsctlError):
    exit_code = ExitCode.UNSUPPORTED


class Interrupted(DsctlError):
    exit_code = ExitCode.INTERRUPTED


class PartialFailure(DsctlError):
    """Some items of a batch failed; the failures were already reported."""

    exit_code = ExitCode.PARTIAL


class ItemError(DsctlError):
    """A per-item failure that is not one of the typed kinds above."""

    exit_code = ExitCode.PARTIAL
