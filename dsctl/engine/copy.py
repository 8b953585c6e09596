"""Copy one file from any endpoint to any endpoint, choosing the cheapest way.

Strategies, in order:
  * same store that can copy server-side (S3 CopyObject, GCS rewrite, Azure
    copy, memory)                      -> `fs.cp_file`, no bytes through us
  * small object (<= one part)          -> one GET, one PUT
  * large object to a local file        -> parallel ranged GETs into a
                                           pre-sized temp file, then rename
  * anything else                       -> chunked stream into the writer
Every strategy reserves its buffers from the shared MemoryBudget first.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable

from ..errors import IntegrityError
from ..storage.translate import translating
from .budget import Cancelled, MemoryBudget
from .localfile import AtomicLocalFile
from .streams import iter_chunks, open_writer

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
    part_pool: ThreadPoolExecutor
    max_parallel_parts: int
    cancel: threading.Event


def copy_one(src, dst, size: int | None, ctx: CopyContext, progress: Callable[[int], None]) -> int:
    """Copy src to dst; returns bytes moved. Leaves nothing behind on failure."""
    if ctx.cancel.is_set():
        raise Cancelled()
    same_store = src.fs is not None and src.fs is dst.fs
    if same_store and src.backend.server_side_copy:
        with translating(f"{src.url()} -> {dst.url()}"):
            src.fs.cp_file(src.path, dst.path)
        n = size if size is not None else 0
        progress(n)
        return n
    part = part_size_for(size, ctx.part_size)
    if size is not None and size <= part and not dst.is_stdio and not src.is_stdio:
        return _copy_small(src, dst, size, ctx, progress)
    if (dst.is_local and size is not None and not src.is_local and not src.is_stdio
            and src.backend.scheme != "http"):
        return _download_parallel(src, dst, size, part, ctx, progress)
    return _stream(src, dst, size, part, ctx, progress)


def _copy_small(src, dst, size, ctx, progress) -> int:
    with ctx.budget.reserve(size):
        data = b"".join(iter_chunks(src, size, max(size, 1), ctx.cancel))
        with translating(dst.url()):
            if dst.is_local:
                f = AtomicLocalFile(dst.path)
                try:
                    f.write(data)
                    f.commit()
                except BaseException:
                    f.abort()
                    raise
            else:
                dst.fs.pipe_file(dst.path, data)
    progress(len(data))
    return len(data)


def _stream(src, dst, size, part, ctx, progress) -> int:
    # One part buffered by the writer plus one chunk in hand.
    with ctx.budget.reserve(2 * part):
        writer = open_writer(dst, size, part)
        moved = 0
        try:
            for chunk in iter_chunks(src, size, part, ctx.cancel):
                writer.write(chunk)
                moved += len(chunk)
                progress(len(chunk))
            if ctx.cancel.is_set():
                raise Cancelled()
            writer.commit()
        except BaseException:
            writer.abort()
            raise
    return moved


def _download_parallel(src, dst, size, part, ctx, progress) -> int:
    nparts = -(-size // part)
    k = max(1, min(nparts, ctx.max_parallel_parts, ctx.budget.total // part))
    fs, path = src.fs, src.path

    def fetch(start: int) -> int:
        if ctx.cancel.is_set():
            raise Cancelled()
        end = min(size, start + part)
        with translating(src.url()):
            data = fs.cat_file(path, start=start, end=end)
        if len(data) != end - start:
            raise IntegrityError(f"ranged read returned {len(data)} bytes, expected {end - start}",
                                 src.url())
        out.pwrite(data, start)
        progress(len(data))
        return len(data)

    with ctx.budget.reserve(k * part):
        with translating(dst.url()):
            out = AtomicLocalFile(dst.path, size)
        pending: set = set()
        try:
            for off in range(0, size, part):
                pending.add(ctx.part_pool.submit(fetch, off))
                if len(pending) >= k:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for f in done:
                        f.result()
            done, pending = wait(pending)
            for f in done:
                f.result()
            out.commit()
        except BaseException:
            for f in pending:
                f.cancel()
            wait(pending)  # no part may still be writing when the temp file goes
            out.abort()
            raise
    return size
