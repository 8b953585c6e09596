"""Copy one file from any endpoint to any endpoint, choosing the cheapest way.

Strategies, in order:
  * same store that can copy server-side (S3 CopyObject, GCS rewrite, Azure
    copy, memory)                      -> `fs.cp_file`, no bytes through us
  * small object (<= one part)          -> one GET, one PUT
  * large object to a local file        -> parallel ranged GETs into a
                                           pre-sized temp file, then rename
  * large object to S3 / Azure          -> parallel part uploads (multipart /
                                           staged blocks), aborted on failure
  * anything else                       -> chunked stream into the writer
Every strategy reserves its buffers from the shared MemoryBudget first.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Callable

from ..errors import IntegrityError
from ..storage.mime import fsspec_kwargs
from ..storage.parts import part_writer, supports_parts
from ..storage.translate import translating
from .budget import Cancelled, MemoryBudget
from .interrupt import arrived, block_here
from .localfile import AtomicLocalFile, write_whole
from .ratelimit import RateLimiter
from .streams import iter_chunks, open_writer
from .verify import check, file_sha256, sha256

MiB = 1024 * 1024
MAX_PARTS = 9000  # stay well under S3's 10,000-part limit


def part_size_for(size: int | None, base: int) -> int:
    """Grow the part size with the object so it never needs more than MAX_PARTS parts."""
    if not size:
        return base
    need = -(-size // MAX_PARTS)
    need = -(-need // MiB) * MiB
    return max(base, need)


@dataclass
class CopyContext:
    budget: MemoryBudget
    part_size: int
    max_parallel_parts: int
    cancel: threading.Event
    limiter: RateLimiter | None = None   # --bwlimit

    def stopped(self) -> bool:
        """Whether the run is being interrupted - asked before a destination is
        committed, when `cancel` may not be set yet (see engine.interrupt)."""
        return self.cancel.is_set() or arrived()

    def limit(self, n: int) -> None:
        """Account for n bytes about to move; sleeps to hold --bwlimit."""
        if self.limiter is not None:
            self.limiter.take(n)


def fast(ep) -> bool:
    """Whether `ep`'s bytes can move through its obstore data path (storage.fast)."""
    st = getattr(ep, "store", None)
    return st is not None and st.usable(ep.path)


def copy_one(src, dst, size: int | None, ctx: CopyContext, progress: Callable[[int], None],
             expect: str | None = None) -> int:
    """Copy src to dst; returns bytes moved. Leaves nothing behind on failure.

    `expect`: the SHA-256 (hex) the bytes must have. It is checked before the
    destination is committed (on stdout: before the last chunk goes out), so a
    mismatch is an IntegrityError that leaves nothing, like any other failure."""
    if ctx.cancel.is_set():
        raise Cancelled()
    if expect is None:   # a server-side copy never shows us the bytes to check
        store = getattr(src, "store", None)
        if store is not None and store is getattr(dst, "store", None) and store.can_copy(src.path, dst.path, size):
            with translating(f"{src.url()} -> {dst.url()}"):
                store.copy(src.path, dst.path, ctx.cancel.wait)
            progress(size)
            return size
        if src.fs is not None and src.fs is dst.fs and src.backend.server_side_copy:
            with translating(f"{src.url()} -> {dst.url()}"):
                src.fs.cp_file(src.path, dst.path)
            n = size if size is not None else 0
            progress(n)
            return n
    part = part_size_for(size, ctx.part_size)
    if size is not None and size <= part and not dst.is_stdio and not src.is_stdio:
        return _copy_small(src, dst, size, ctx, progress, expect)
    rangeable = size is not None and not src.is_stdio and src.backend.scheme != "http"
    same = _pinned(src) if rangeable and not src.is_local else _unpinned
    if rangeable and dst.is_local and not src.is_local:
        if ctx.limiter is not None:   # ranged reads have no minimum size: keep them smooth
            part = ctx.limiter.chunk(part)
        return _download_parallel(src, dst, size, part, ctx, progress, expect, same)
    if fast(dst):
        # obstore uploads the parts in parallel itself while we feed it in order
        k = _parallelism(size or part, part, ctx, extra=1)
        return _stream(src, dst, size, part, ctx, progress, k, expect, same)
    if rangeable and not dst.is_stdio and supports_parts(dst) and expect is None:
        return _upload_parallel(src, dst, size, part, ctx, progress, same)
    return _stream(src, dst, size, part, ctx, progress, expect=expect, same=same)


_VERSION_KEYS = ("ETag", "etag", "generation")   # s3fs/dsctl, adlfs/gcsfs, gcsfs


def _unpinned() -> None:
    pass


def _pinned(src) -> Callable[[], None]:
    """A check for just before the destination is committed: is the source object still
    the one the copy began to read? Its ranges are separate GETs, and an object replaced
    meanwhile gave a file of both versions' bytes with exit 0 (aws s3 cp pins its ranges
    with If-Match; this asks the ETag - or GCS generation - twice: one HEAD more per
    large file)."""
    from .plan import info   # plan imports the engine's pieces, not this module's users

    def version():
        meta = info(src)
        return next((meta[k] for k in _VERSION_KEYS if meta.get(k)), None)

    try:
        first = version()
    except Exception:  # noqa: BLE001 - the copy's own reads will say what is wrong
        return _unpinned
    if first is None:
        return _unpinned

    def check() -> None:
        if version() != first:
            raise IntegrityError("the source was replaced while it was being copied; nothing "
                                 "was written - copy it again", src.url())
    return check


def _fetch_all(src, size: int, ctx: CopyContext):
    """A whole small object in one request (a buffer; bytes on the fsspec path)."""
    if src.is_local or fast(src):
        with translating(src):
            data = _read_local(src.path, size) if src.is_local else src.store.get(src.path)
        if len(data) != size:
            raise IntegrityError(f"size mismatch: expected {size} bytes, read {len(data)}", src.url())
        return data
    return b"".join(iter_chunks(src, size, max(size, 1), ctx.cancel))


def _read_local(path: str, size: int) -> bytes:
    """The file's bytes, asking for one more than expected so growth shows; one read()
    in the usual case (a regular file only returns short at its end)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        data = os.read(fd, size + 1)
        if len(data) < size:   # short before the expected end: read on to EOF (or size + 1)
            chunks, got = [data], len(data)
            while got <= size and (more := os.read(fd, size + 1 - got)):
                chunks.append(more)
                got += len(more)
            data = b"".join(chunks)
        return data
    finally:
        os.close(fd)


def _store_all(dst, data) -> None:
    with translating(dst):
        if dst.is_local:
            write_whole(dst.path, data)
        elif fast(dst):
            dst.store.put(dst.path, data)
        else:
            dst.fs.pipe_file(dst.path, data if isinstance(data, bytes) else bytes(data),
                             **fsspec_kwargs(dst, whole=True))


def _copy_small(src, dst, size, ctx, progress, expect: str | None = None) -> int:
    ctx.limit(size)
    with ctx.budget.reserve(size):
        data = _fetch_all(src, size, ctx)
        if ctx.stopped():
            raise Cancelled()
        if expect is not None:
            digest = sha256()
            digest.update(data)
            check(digest, expect, src.url())
        _store_all(dst, data)
        n = len(data)
        del data
    progress(n)
    return n


def _stream(src, dst, size, part, ctx, progress, concurrency: int = 1, expect: str | None = None,
            same: Callable[[], None] = _unpinned) -> int:
    # The writer's buffer plus the parts it has in flight, and one chunk in hand.
    with ctx.budget.reserve((concurrency + 1) * part):
        writer = open_writer(dst, size, part, concurrency)
        moved = 0
        chunk_size = ctx.limiter.chunk(part) if ctx.limiter is not None else part
        digest = sha256() if expect is not None else None
        held = b""   # verified: each chunk goes out when the next has come, the last after the check
        try:
            for chunk in iter_chunks(src, size, chunk_size, ctx.cancel):
                ctx.limit(len(chunk))
                if digest is not None:
                    digest.update(chunk)
                    # a stream that ends short (or runs long) fails in iter_chunks
                    # before the chunk in hand is written: nothing of a small file leaks
                    chunk, held = held, chunk
                if chunk:
                    writer.write(chunk)
                moved += len(chunk)
                progress(len(chunk))
            if ctx.stopped():
                raise Cancelled()
            same()
            if digest is not None:
                check(digest, expect, src.url())
                if held:
                    writer.write(held)
                    moved += len(held)
                    progress(len(held))
            writer.commit()
        except BaseException:
            writer.abort()
            raise
    return moved


def _run_parts(ctx: CopyContext, size: int, part: int, k: int, do_part) -> None:
    """Run do_part(number, offset, end) over every part on k threads of this file's own.

    The memory budget, reserved by the caller, is what bounds parts across files; a
    thread costs ~0.1 ms to start, nothing next to a part. On any failure no new part
    starts, and the parts still running finish before the error propagates, so the
    caller can safely discard what they were writing into."""
    parts = enumerate(range(0, size, part), start=1)
    take = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        block_here()
        while not errors:
            with take:
                number, off = next(parts, (0, -1))
            if off < 0:
                return
            try:
                do_part(number, off, min(size, off + part))
            except BaseException as e:  # noqa: BLE001 - re-raised by the file's thread
                errors.append(e)

    threads = [threading.Thread(target=work, name="dsctl-part", daemon=True)
               for _ in range(max(1, min(k, -(-size // part))))]
    for t in threads:
        t.start()
    # join() is safe here: this runs on a file worker, never on the thread Ctrl-C reaches
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _parallelism(size: int, part: int, ctx: CopyContext, extra: int = 0, hold: int | None = None) -> int:
    """Parts in flight for one file: bounded by the flag, by the budget (each holding
    `hold` bytes, a whole part by default, plus `extra` more parts the strategy holds)
    and by the number of parts."""
    return max(1, min(-(-size // part), ctx.max_parallel_parts,
                      ctx.budget.total // (hold or part) - extra))


def _read_range(src, start: int, end: int, fd: int | None) -> bytes:
    if fd is not None:
        data = os.pread(fd, end - start, start)
    elif fast(src):
        with translating(src.url()):
            data = src.store.get(src.path, start, end)
    else:
        with translating(src.url()):
            data = src.fs.cat_file(src.path, start=start, end=end)
    if len(data) != end - start:
        raise IntegrityError(f"read {len(data)} bytes at offset {start}, expected {end - start}", src.url())
    return data


STREAM_RANGE_MAX = 1024 * MiB  # longest ranged GET on the streamed download path
STREAM_PIECE = 256 * 1024      # a streamed range reaches the file in pieces of this size
STREAM_HOLD = 1 * MiB          # what one streamed range holds: pieces in hand and arriving


def _stream_ranges(size: int, part: int, k: int) -> int:
    """The range length for k streams: the object in a multiple of k equal ranges (each
    at most STREAM_RANGE_MAX, rounded up to a MiB, at least a part), so that every
    stream ends at about the same time - 8 ranges over 5 streams left 3 running alone."""
    n = k * -(-size // (k * STREAM_RANGE_MAX))
    share = -(-size // n)
    return max(part, -(-share // MiB) * MiB)


def _download_parallel(src, dst, size, part, ctx, progress, expect: str | None = None,
                       same: Callable[[], None] = _unpinned) -> int:
    """Ranged GETs in parallel, written in place into a pre-sized temp file.

    On the fast path a range is streamed to the file in STREAM_PIECE pieces, so it
    holds ~STREAM_HOLD whatever its length: the ranges are then as long as an equal
    share of the object, because every request costs the server a lookup and a new
    response (on SeaweedFS, 8 MiB ranges were ~15% slower than 32-64 MiB)."""
    streamed = fast(src)
    if streamed:
        k = _parallelism(size, part, ctx, hold=STREAM_HOLD)
        if ctx.limiter is None:   # --bwlimit charges a range up front: keep those short
            part = _stream_ranges(size, part, k)
        hold = k * STREAM_HOLD
    else:
        k = _parallelism(size, part, ctx)
        hold = k * part

    def moved(n: int) -> None:
        # a range may be a fifth of the object: stop between pieces on Ctrl-C
        if ctx.cancel.is_set():
            raise Cancelled()
        progress(n)

    def write(piece, offset: int) -> None:
        out.pwrite(piece, offset)
        moved(len(piece))

    def do_part(_n: int, start: int, end: int) -> None:
        if ctx.cancel.is_set():
            raise Cancelled()
        ctx.limit(end - start)
        if streamed:
            with translating(src):
                got = src.store.read_into(src.path, start, end, write, STREAM_PIECE, out, moved)
            if got != end - start:
                raise IntegrityError(f"read {got} bytes at offset {start}, expected {end - start}",
                                     src.url())
        else:
            write(_read_range(src, start, end, None), start)

    with ctx.budget.reserve(hold):
        with translating(dst.url()):
            out = AtomicLocalFile(dst.path, size)
        try:
            _run_parts(ctx, size, part, k, do_part)
            if ctx.stopped():   # every part may be in: still not wanted
                raise Cancelled()
            same()
            if expect is not None:
                check(file_sha256(out.fd, size, ctx.cancel), expect, src.url())
            out.commit()
        except BaseException:
            out.abort()
            raise
    return size


def _upload_parallel(src, dst, size, part, ctx, progress, same: Callable[[], None] = _unpinned) -> int:
    """Parts read (pread or ranged GET) and uploaded concurrently; abort on failure."""
    k = _parallelism(size, part, ctx)

    def do_part(n: int, start: int, end: int) -> None:
        if ctx.cancel.is_set():
            raise Cancelled()
        ctx.limit(end - start)
        data = _read_range(src, start, end, fd)
        with translating(dst.url()):
            writer.put(n, data)
        progress(end - start)

    with ctx.budget.reserve(k * part):
        fd = os.open(src.path, os.O_RDONLY) if src.is_local else None
        try:
            with translating(dst.url()):
                writer = part_writer(dst)
            try:
                _run_parts(ctx, size, part, k, do_part)
                if ctx.stopped():
                    raise Cancelled()
                same()
                with translating(dst.url()):
                    writer.complete()
            except BaseException:
                try:
                    writer.abort()
                except Exception:  # noqa: BLE001 - the original error matters more
                    pass
                raise
        finally:
            if fd is not None:
                os.close(fd)
    return size
