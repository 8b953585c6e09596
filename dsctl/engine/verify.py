"""Checking a copy against the SHA-256 its bytes must have (Item.sha256).

Used by engine.copy before a destination is committed; `hashlib` (OpenSSL) is
imported only when a copy is verified.
"""

from __future__ import annotations

import os
import threading

from ..errors import IntegrityError
from .budget import Cancelled

MiB = 1024 * 1024


def sha256():
    """A fresh OpenSSL SHA-256 (several times faster per byte than the built-in one)."""
    import hashlib   # only for a verified copy: loading OpenSSL is ~2.7 ms of start-up

    return hashlib.sha256()


def check(digest, expect: str, url) -> None:
    """IntegrityError (exit 6) about `url` unless `digest` is `expect` (hex)."""
    if digest.hexdigest() != expect:
        raise IntegrityError(f"content does not match its sha256 (expected {expect[:16]}…)", url)


def file_sha256(fd: int, size: int, cancel: threading.Event):
    """SHA-256 of the first `size` bytes of an open file (just written: from the page
    cache), read in 1 MiB pieces into one reused buffer."""
    digest = sha256()
    buf = bytearray(MiB)
    view = memoryview(buf)
    pos = 0
    while pos < size:
        if cancel.is_set():
            raise Cancelled()
        n = os.preadv(fd, [view[:min(MiB, size - pos)]], pos)
        if n <= 0:
            raise IntegrityError(f"the downloaded file ends at {pos} of {size} bytes")
        digest.update(view[:n])
        pos += n
    return digest
