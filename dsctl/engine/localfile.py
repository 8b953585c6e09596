"""Atomic local writes: a temporary name in the destination directory,
renamed over the final name only when every byte is there.

Temp files in flight are tracked so an interrupted run can remove any a
worker did not get to clean up itself.
"""

from __future__ import annotations

import os
import tempfile
import threading

_active: set[str] = set()
_lock = threading.Lock()
TEMP_SUFFIX = ".dsctl-part"


class AtomicLocalFile:
    """Write to `<dir>/.<name>.<random>.dsctl-part`, rename to `<dir>/<name>` on commit."""

    def __init__(self, path: str, size: int | None = None):
        self.path = path
        parent = os.path.dirname(path) or "."
        if os.path.isdir(path):
            raise IsADirectoryError(f"destination is a directory: {path}")
        os.makedirs(parent, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".",
                                        suffix=TEMP_SUFFIX, dir=parent)
        with _lock:
            _active.add(self.tmp)
        self.fd = fd
        if size:
            try:
                os.truncate(fd, size)  # lets parallel parts pwrite anywhere
            except OSError:
                pass

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def pwrite(self, data: bytes, offset: int) -> None:
        view = memoryview(data)
        while view:
            n = os.pwrite(self.fd, view, offset)
            view, offset = view[n:], offset + n

    def commit(self) -> None:
        os.close(self.fd)
        self.fd = -1
        os.replace(self.tmp, self.path)
        with _lock:
            _active.discard(self.tmp)

    def abort(self) -> None:
        if self.fd >= 0:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = -1
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass
        with _lock:
            _active.discard(self.tmp)


def remove_leftovers() -> None:
    """Delete every temp file still registered (used on interrupt)."""
    with _lock:
        paths = list(_active)
        _active.clear()
    for p in paths:
        try:
            os.unlink(p)
        except OSError:
            pass
