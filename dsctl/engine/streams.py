"""Readers and writers over any endpoint, in bounded chunks.

A reader yields chunks of at most `chunk` bytes; a writer takes chunks and is
either committed (the destination appears whole) or aborted (nothing appears:
local temp files are removed, multipart uploads are discarded).
"""

from __future__ import annotations

import os
import select
import stat
import sys
import threading
from typing import Iterator

from ..errors import IntegrityError
from .budget import Cancelled
from .interrupt import arrived
from ..storage.translate import translating
from ..storage.mime import fsspec_kwargs
from .localfile import AtomicLocalFile

POLL = 0.2   # seconds one wait on stdin, a FIFO or a stdout pipe lasts before cancel is looked at


def iter_chunks(ep, size: int | None, chunk: int, cancel: threading.Event) -> Iterator[bytes]:
    """Yield the bytes of `ep` in chunks; a known size is checked at the end."""
    got = 0
    with translating(ep.url()):
        chunks = (_stream_chunks(ep, chunk, cancel) if ep.is_stdio or _is_fifo(ep)
                  else _raw_chunks(ep, size, chunk))
        try:
            for data in chunks:
                if cancel.is_set():
                    raise Cancelled()
                got += len(data)
                if size is not None and got > size:   # stop now, not after reading all of it
                    break
                yield data
        finally:
            chunks.close()   # the open file or response, at once
    if size is not None and got != size:
        read = f"at least {got}" if got > size else str(got)
        raise IntegrityError(f"size mismatch: expected {size} bytes, read {read}", ep.url())


def _is_fifo(ep) -> bool:
    if not ep.is_local or not hasattr(select, "poll"):
        return False
    try:
        return stat.S_ISFIFO(os.stat(ep.path).st_mode)
    except OSError:
        return False


def _stream_chunks(ep, chunk: int, cancel: threading.Event) -> Iterator[bytes]:
    """stdin, or a FIFO named as the source, in chunks of `chunk` bytes (the last
    shorter). A blocking open or read would hold its worker - and the run's Ctrl-C
    or SIGTERM - until a producer writes or exits (`(slow job) | dsctl cp - s3://…`,
    a FIFO nobody opened yet), so each wait lasts at most POLL seconds."""
    if ep.is_stdio:
        stream = sys.stdin.buffer
        try:
            fd = stream.fileno()
        except (OSError, ValueError):   # not a real file (embedded use): read it plainly
            fd = None
        if fd is None or not hasattr(select, "poll"):
            while data := stream.read(chunk):
                yield data
            return
        yield from _fd_chunks(fd, chunk, cancel)
        return
    # O_NONBLOCK: the open does not wait for a writer; poll() then does, interruptibly
    fd = os.open(ep.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        yield from _fd_chunks(fd, chunk, cancel)
    finally:
        os.close(fd)


def _wait(poll, cancel: threading.Event | None = None) -> None:
    """Until `poll`'s fd is ready, POLL seconds at a time; Cancelled if the run stops."""
    while not poll.poll(POLL * 1000):
        if (cancel is not None and cancel.is_set()) or arrived():
            raise Cancelled()


def _fd_chunks(fd: int, chunk: int, cancel: threading.Event) -> Iterator[bytes]:
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    buf = bytearray()
    while True:
        _wait(poll, cancel)
        try:
            data = os.read(fd, chunk - len(buf))
        except BlockingIOError:   # woken without data (a non-blocking FIFO)
            continue
        if not data:
            break
        buf += data
        if len(buf) >= chunk:
            yield bytes(buf)
            buf.clear()
    if buf:
        yield bytes(buf)


def _raw_chunks(ep, size: int | None, chunk: int) -> Iterator[bytes]:
    if ep.is_local:
        with open(ep.path, "rb") as f:
            while data := f.read(chunk):
                yield data
        return
    store = getattr(ep, "store", None)
    if store is not None and size is not None and store.usable(ep.path):
        for start in range(0, size, chunk):
            yield store.get(ep.path, start, min(size, start + chunk))
        if size == 0:
            yield store.get(ep.path)
        return
    fs = ep.fs
    if size is not None and ep.backend.scheme != "http":
        # Known size: plain ranged GETs, no extra HEAD per file.
        if size <= chunk:
            yield fs.cat_file(ep.path)
            return
        for start in range(0, size, chunk):
            yield fs.cat_file(ep.path, start=start, end=min(size, start + chunk))
        return
    # A web server's file is read as one streamed GET (block_size=0): fsspec's
    # random-access file would need Range support, which e.g. `python -m http.server` lacks.
    opts = {"block_size": 0} if ep.backend.scheme == "http" else {"block_size": chunk, "cache_type": "none"}
    with fs.open(ep.path, "rb", **opts) as f:
        while data := f.read(chunk):
            yield data


class Writer:
    def write(self, data: bytes) -> None: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...


class StdoutWriter(Writer):
    """stdout. Into a pipe whose reader stopped reading (`cp URL - | slow`) a plain write
    blocks its worker, and the run's Ctrl-C with it, until the reader reads: there each
    write waits at most POLL seconds at a time and is no larger than the room left."""

    def __init__(self):
        self.fd = _pipe_out()
        if self.fd is not None:
            self.room = select.poll()
            self.room.register(self.fd, select.POLLOUT)

    def write(self, data: bytes) -> None:
        if self.fd is None:
            sys.stdout.buffer.write(data)
            return
        view = memoryview(data)
        while view:
            _wait(self.room)
            view = view[os.write(self.fd, view[:_room(self.fd)]):]

    def commit(self) -> None:
        sys.stdout.buffer.flush()

    def abort(self) -> None:
        try:
            sys.stdout.buffer.flush()
        except (OSError, ValueError):
            pass


F_GETPIPE_SZ = 1032   # Linux fcntl: a pipe's capacity


def _pipe_out() -> int | None:
    """stdout's fd if it is a pipe the careful writer can measure (Linux), else None."""
    try:
        sys.stdout.flush()
        sys.stdout.buffer.flush()   # what was printed before keeps its place
        fd = sys.stdout.fileno()
        if not (stat.S_ISFIFO(os.fstat(fd).st_mode) and sys.platform.startswith("linux")):
            return None
        import fcntl

        fcntl.fcntl(fd, F_GETPIPE_SZ)
        return fd
    except (OSError, ValueError, AttributeError):
        return None


def _room(fd: int) -> int:
    """Bytes the pipe takes without blocking: its capacity less what is unread
    (FIONREAD); never less than PIPE_BUF, which a writable pipe always takes."""
    import fcntl
    import termios

    try:
        unread = int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4), sys.byteorder, signed=True)
        return max(select.PIPE_BUF, fcntl.fcntl(fd, F_GETPIPE_SZ) - unread)
    except OSError:
        return select.PIPE_BUF


class FsspecWriter(Writer):
    """Stream into a store's write file; abort discards it (aborts the multipart upload)."""

    def __init__(self, ep, block_size: int):
        self.url = ep.url()
        with translating(self.url):
            self.f = ep.fs.open(ep.path, "wb", block_size=block_size, **fsspec_kwargs(ep))

    def write(self, data: bytes) -> None:
        with translating(self.url):
            self.f.write(data)

    def commit(self) -> None:
        with translating(self.url):
            self.f.close()

    def abort(self) -> None:
        try:
            discard = getattr(self.f, "discard", None)
            if discard:
                discard()
        finally:
            # Marking it closed stops fsspec from committing it on garbage collection.
            self.f.closed = True


class MemoryWriter(Writer):
    """memory://: fsspec's MemoryFile puts itself in the store when opened, so a failed
    copy left its partial bytes behind; here they join the store on commit only."""

    def __init__(self, ep):
        self.fs, self.path, self.url, self.parts = ep.fs, ep.path, ep.url(), []

    def write(self, data) -> None:
        self.parts.append(bytes(data))

    def commit(self) -> None:
        with translating(self.url):
            self.fs.pipe_file(self.path, b"".join(self.parts))
        self.parts = []

    def abort(self) -> None:
        self.parts = []


class FastWriter(Writer):
    """Stream into an object through its obstore data path (storage.fast): one PUT
    when it fits the buffer, else `concurrency` parts in flight; abort discards."""

    def __init__(self, ep, block_size: int, concurrency: int):
        self.url = ep.url()
        with translating(self.url):
            self.w = ep.store.writer(ep.path, block_size, concurrency)

    def write(self, data) -> None:
        with translating(self.url):
            self.w.write(data)

    def commit(self) -> None:
        with translating(self.url):
            self.w.commit()

    def abort(self) -> None:
        self.w.abort()


class LocalWriter(Writer):
    def __init__(self, ep, size: int | None):
        with translating(ep.url()):
            self.f = AtomicLocalFile(ep.path, size)

    def write(self, data: bytes) -> None:
        self.f.write(data)

    def commit(self) -> None:
        self.f.commit()

    def abort(self) -> None:
        self.f.abort()


def open_writer(ep, size: int | None, block_size: int, concurrency: int = 1) -> Writer:
    if ep.is_stdio:
        return StdoutWriter()
    if ep.is_local:
        return LocalWriter(ep, size)
    store = getattr(ep, "store", None)
    if store is not None and store.usable(ep.path):
        return FastWriter(ep, block_size, concurrency)
    if ep.backend.scheme == "memory":
        return MemoryWriter(ep)
    return FsspecWriter(ep, block_size)
