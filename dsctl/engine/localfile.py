"""Atomic local writes: a temporary name in the destination directory,
renamed over the final name only when every byte is there.

Temp files in flight are tracked so an interrupted run can remove any a
worker did not get to clean up itself.
"""

from __future__ import annotations

import os
import random
import threading

_active: set[str] = set()
_lock = threading.Lock()
TEMP_SUFFIX = ".dsctl-part"


class AtomicLocalFile:
    """Write to `<dir>/.<name>.<random>.dsctl-part`, rename to `<dir>/<name>` on commit."""

    def __init__(self, path: str, size: int | None = None, check_dir: bool = True):
        """`check_dir=False` skips the up-front "is the destination a directory?" stat
        (commit still refuses): worth it for small files, where every syscall is a
        GIL hand-off among the workers and the bytes are cheap to throw away."""
        self.path = path
        parent = os.path.dirname(path) or "."
        if check_dir and os.path.isdir(path):
            raise IsADirectoryError(f"destination is a directory: {path}")
        fd, self.tmp = _create_temp(parent, os.path.basename(path))
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
        try:
            os.replace(self.tmp, self.path)
        except IsADirectoryError:
            self.abort()
            raise IsADirectoryError(f"destination is a directory: {self.path}") from None
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


_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_names = random.Random()


def _create_temp(parent: str, name: str) -> tuple[int, str]:
    """Create `<parent>/.<name>.<random>.dsctl-part` (0600, as mkstemp would), making
    `parent` only when the first attempt says it is missing: one syscall per file in
    the usual case instead of mkstemp's and makedirs' several."""
    for attempt in range(100):
        tmp = os.path.join(parent, f".{name}.{_names.getrandbits(48):012x}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, _FLAGS, 0o600), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            if attempt > 1:
                raise
            os.makedirs(parent, exist_ok=True)
    raise FileExistsError(f"no free temporary name in {parent}")


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
