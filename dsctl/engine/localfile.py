"""Atomic local writes: a temporary name in the destination directory,
renamed over the final name only when every byte is there.

Temp files in flight are tracked so an interrupted run can remove any a
worker did not get to clean up itself, and so are the directories made for
them, so that a failed or interrupted run does not leave empty ones behind.
(The tracking set and list are only ever changed and copied by single C calls,
which the GIL makes atomic.)
"""

from __future__ import annotations

import os
import threading
from time import perf_counter_ns

from .pagecache import WriteSizer
from .prealloc import preallocate

_active: set[str] = set()
_made: list[str] = []   # directories made for destinations, parents before children
TEMP_SUFFIX = ".dsctl-part"


class AtomicLocalFile:
    """Write to `<dir>/.<name>.<random>.dsctl-part`, rename to `<dir>/<name>` on commit."""

    def __init__(self, path: str, size: int | None = None):
        """Refuses up front when `path` is a directory, before any bytes are fetched
        (write_whole, for bytes already in hand, only finds out at the rename)."""
        self.path = path
        parent = os.path.dirname(path) or "."
        if os.path.isdir(path):
            raise IsADirectoryError(f"destination is a directory: {path}")
        fd, self.tmp = create_temp(parent, os.path.basename(path))
        _active.add(self.tmp)
        self.fd = fd
        # One writer at a time. Parallel writers to one file queue on its inode lock in
        # the kernel, and a waiter there spins while the holder runs: with five ranges on
        # two cores that spinning took the CPU the server needed, and a 512 MiB download
        # burned 0.2-0.5 CPU-s more (sys time) than with this lock, where waiters sleep.
        self.lock = threading.Lock()
        self.sizer = WriteSizer(size)   # how much each write moves (see engine.pagecache)
        if size:
            try:
                os.truncate(fd, size)  # lets parallel parts pwrite anywhere
            except OSError:
                pass
            try:
                preallocate(fd, size)  # a full disk says so now (engine.prealloc)
            except BaseException:
                self.abort()
                raise

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        with self.lock:
            while view:
                n = self._timed(os.write, view)
                view = view[n:]

    def pwrite(self, data: bytes, offset: int) -> None:
        view = memoryview(data)
        with self.lock:
            while view:
                n = self._timed(os.pwrite, view, offset)
                view, offset = view[n:], offset + n

    def _timed(self, call, view, *at) -> int:
        size = self.sizer.next()
        t0 = perf_counter_ns()
        n = call(self.fd, view[:size], *at)
        self.sizer.took(n, perf_counter_ns() - t0)
        return n

    # what splice_body (storage.http1) needs of the file it fills, besides fd and lock
    def piece(self) -> int:
        return self.sizer.next()

    def took(self, nbytes: int, ns: int) -> None:
        self.sizer.took(nbytes, ns)

    def commit(self) -> None:
        fd, self.fd = self.fd, -1
        os.close(fd)
        try:
            _rename(self.tmp, self.path)
        except BaseException:
            self.abort()
            raise
        _active.discard(self.tmp)

    def abort(self) -> None:
        fd, self.fd = self.fd, -1
        _discard(fd, self.tmp)


def write_whole(path: str, data) -> None:
    """`data` as the file at `path`, atomically: AtomicLocalFile's write-then-rename for
    a buffer already in hand, in one call (the small-file path runs it per file)."""
    parent, name = os.path.split(path)
    fd, tmp = create_temp(parent or ".", name)
    _active.add(tmp)
    try:
        _write_all(fd, data)
        os.close(fd)
        fd = -1
        _rename(tmp, path)
    except BaseException:
        _discard(fd, tmp)
        raise
    _active.discard(tmp)


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _rename(tmp: str, path: str) -> None:
    """Move a finished temp file over `path`, naming the usual refusal plainly."""
    try:
        os.replace(tmp, path)
    except IsADirectoryError:
        raise IsADirectoryError(f"destination is a directory: {path}") from None


def _discard(fd: int, tmp: str) -> None:
    """Close (if open) and delete a temp file that will not be committed; forget it."""
    if fd >= 0:
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    _active.discard(tmp)


_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


NAME_MAX = 255   # bytes in one file name on Linux, macOS and Windows file systems


def side_name(name: str, suffix: str) -> str:
    """`.<name>.<random><suffix>`, the name shortened to fit NAME_MAX: a file named
    with 230-255 bytes must still get its temporary (and backup) neighbour."""
    tail = f".{os.urandom(6).hex()}{suffix}"   # os.urandom: `random` is ~1.3 ms to import
    raw = os.fsencode(name)
    room = NAME_MAX - 1 - len(tail)
    if len(raw) > room:
        name = os.fsdecode(raw[:room])
    return f".{name}{tail}"


def create_temp(parent: str, name: str) -> tuple[int, str]:
    """Create `<parent>/.<name>.<random>.dsctl-part`, making `parent` only when the
    first attempt says it is missing: one syscall per file in the usual case instead of
    mkstemp's and makedirs' several. Mode 0666 less the umask, as cp, curl, rclone and
    the AWS CLI create files (mkstemp's 0600 left every copied file private)."""
    for attempt in range(100):
        tmp = os.path.join(parent, side_name(name, TEMP_SUFFIX))
        try:
            return os.open(tmp, _FLAGS, 0o666), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            if attempt > 1:
                raise
        except NotADirectoryError:
            raise _file_in_the_way(parent) from None
        # out of the except clause: an error making the parent (a PermissionError) must
        # not carry the FileNotFoundError as its context - that read as "not found"
        try:
            _make_dirs(parent)
        except (FileExistsError, NotADirectoryError):
            raise _file_in_the_way(parent) from None
    raise FileExistsError(f"no free temporary name in {parent}")


def _file_in_the_way(parent: str) -> NotADirectoryError:
    """The error for a destination below a file (`cp -r src/ existing-file`), naming
    that file - not the temporary name the failed open() was for."""
    p = os.path.abspath(parent)
    while p != os.path.dirname(p) and not os.path.lexists(p):
        p = os.path.dirname(p)
    return NotADirectoryError(f"{p} is a file, not a directory")


def _make_dirs(path: str) -> None:
    missing = []
    p = os.path.abspath(path)
    while not os.path.isdir(p) and os.path.dirname(p) != p:
        missing.append(p)
        p = os.path.dirname(p)
    os.makedirs(path, exist_ok=True)
    _made.extend(reversed(missing))


def remove_empty_dirs() -> None:
    """Remove the directories made for destinations that ended up empty (children
    first); forget them all. A directory anything was written into stays."""
    made = list(_made)
    _made.clear()
    for d in reversed(made):
        try:
            os.rmdir(d)
        except OSError:   # not empty (or already gone): keep
            pass


def forget_made_dirs() -> None:
    _made.clear()


def remove_leftovers() -> None:
    """Delete every temp file still registered (used on interrupt; the directories
    go once no worker can still be writing: remove_empty_dirs)."""
    paths = list(_active)
    for p in paths:
        _active.discard(p)
        try:
            os.unlink(p)
        except OSError:
            pass
