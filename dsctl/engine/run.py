"""The transfer engine: a bounded pool of workers over a lazily planned stream of items.

The engine knows nothing about terminals: it reports through `sink(event)`.
Concurrency: `jobs` files at once; a large file adds up to
`max_parallel_parts` part threads of its own; all buffers come out of one
MemoryBudget, which is what bounds parts across files. On Ctrl-C (KeyboardInterrupt in the main
thread) workers are told to stop between chunks, every temp file and open
multipart upload is discarded, and Interrupted (exit 130) is raised.
"""

from __future__ import annotations

import errno
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from ..errors import DsctlError, Interrupted, MissingBucket
from ..storage.containers import container_url, missing_container
from ..storage.translate import translate
from . import events as ev
from .budget import Cancelled, MemoryBudget
from .copy import CopyContext, copy_one
from .interrupt import install
from .localfile import forget_made_dirs, remove_empty_dirs, remove_leftovers
from .plan import Item
from .ratelimit import RateLimiter
from .workers import FilePool

MiB = 1024 * 1024


@dataclass
class TransferOptions:
    jobs: int = 32
    part_size: int = 8 * MiB
    memory: int = 40 * MiB
    max_parallel_parts: int = 5
    dry_run: bool = False
    skip_existing: bool = False
    bwlimit: int | None = None      # bytes per second across the whole run (--bwlimit)
    follow_symlinks: bool = True    # local sources: False skips every symlink (--no-follow-symlinks)


def _caused_by(exc: BaseException | None, test: Callable[[BaseException], bool]) -> bool:
    """Whether `test` holds for `exc` or anything in its cause/context chain."""
    while exc is not None:
        if test(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _broken_pipe(exc: BaseException | None) -> bool:
    return _caused_by(exc, lambda e: isinstance(e, BrokenPipeError))


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)


def _disk_full(exc: BaseException | None) -> bool:
    return _caused_by(exc, lambda e: isinstance(e, OSError) and e.errno in _FULL)


def _no_progress(_n: int) -> None:
    pass


class Engine:
    def __init__(self, options: TransferOptions, sink: ev.Sink = ev.null_sink):
        self.o = options
        self._sink = sink
        self.cancel = threading.Event()
        self.budget = MemoryBudget(options.memory, self.cancel)
        self._lock = threading.Lock()
        self._check_lock = threading.Lock()
        self.summary = ev.Summary(dry_run=options.dry_run)
        self.fatal: BaseException | None = None   # ends the whole run (_destination_gone, _failed)
        self._asked = False                     # whether the destination's bucket was checked
        # A sink may say it draws no progress (quiet, -v lines, JSON): then only the
        # events it uses are made - with thousands of small files they add up.
        self.progress = bool(getattr(sink, "wants_progress", True))

    def run(self, items: Iterable[Item], exists: Callable[[Item], bool] | None = None) -> ev.Summary:
        """Copy every item; per-item failures are reported, not raised - except a
        missing destination bucket (MissingBucket) and a stdout whose reader left
        (BrokenPipeError), which stop the run and are raised once."""
        started = time.monotonic()
        install()   # a signal is then known to workers before `cancel` is set
        jobs = max(1, self.o.jobs)
        limiter = RateLimiter(self.o.bwlimit, self.cancel) if self.o.bwlimit else None
        ctx = CopyContext(self.budget, self.o.part_size, self.o.max_parallel_parts, self.cancel, limiter)
        files = FilePool(lambda item: self._one(item, ctx, exists), jobs)
        done = False
        try:
            nfiles = nbytes = 0
            progress = self.progress
            for item in items:
                if self.fatal is not None:
                    break
                if progress:
                    self.sink(ev.Planned(item.src.url(), item.dst.url(), item.size))
                nfiles += 1
                nbytes += item.size or 0
                files.put(item)
            if self.fatal is not None:
                files.cancel()
                raise self.fatal
            self.sink(ev.PlanComplete(nfiles, nbytes))
            files.close()
            if self.fatal is not None:
                raise self.fatal
            done = True
        except KeyboardInterrupt:
            self.cancel.set()
            files.cancel()
            remove_leftovers()
            raise Interrupted("interrupted; partial destinations were removed") from None
        finally:
            files.join()   # after a planning error the files already queued still finish
            if done and not self.summary.failed:
                forget_made_dirs()
            else:
                remove_empty_dirs()   # made for files that never arrived
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def sink(self, e: ev.Event) -> None:
        """Hand an event to the renderer. Its stdout may be a pipe whose reader left
        (`dsctl cp --dry-run … | head`): that ends the run - main() stops quietly -
        rather than failing each file that has a line to print."""
        try:
            self._sink(e)
        except BrokenPipeError:
            if self.fatal is None:
                self.fatal = BrokenPipeError()
            self.cancel.set()

    def _finish(self, e: ev.Finished) -> None:
        with self._lock:
            self.summary.add(e)
        self.sink(e)

    def _one(self, item: Item, ctx: CopyContext, exists) -> None:
        src, dst = item.src.url(), item.dst.url()
        t0 = time.monotonic()
        if self.fatal is not None:
            return
        if item.error is not None:
            self._failed(item, item.error, t0)
            return
        try:
            skip = self.o.skip_existing and exists is not None and exists(item)
            if skip:  # exists() may name its reason ("unchanged" for sync)
                self._finish(ev.Finished("skipped", src, dst, 0, 0.0,
                                         reason=skip if isinstance(skip, str) else "exists"))
                return
            if self.o.dry_run:
                self._finish(ev.Finished("copied", src, dst, item.size or 0, 0.0, dry_run=True))
                return
            if self.progress:
                self.sink(ev.Started(src, dst, item.size))
                n = copy_one(item.src, item.dst, item.size, ctx, lambda k: self.sink(ev.Progress(src, k)),
                             item.sha256)
            else:
                n = copy_one(item.src, item.dst, item.size, ctx, _no_progress, item.sha256)
        except Cancelled:
            return
        except BaseException as exc:  # noqa: BLE001 - every failure becomes an event
            if self.cancel.is_set():
                return
            self._failed(item, exc, t0)
            return
        self._finish(ev.Finished("copied", src, dst, n, time.monotonic() - t0))

    def _destination_gone(self, item: Item, err: DsctlError) -> bool:
        """On the first failure that is not the source's alone, whether the
        destination's bucket or container is missing (the error says so, or one look
        at the store does): then every other file would fail alike - aws and s5cmd
        print a line and make a request for each - so the run stops and raises it once."""
        with self._check_lock:   # later failures wait for the answer, not print their own
            if not self._asked and err.url != item.src.url():
                self._asked = True
                dst = item.dst.url()
                gone = (MissingBucket(err.message, container_url(item.dst) or dst)
                        if isinstance(err, MissingBucket) and err.url == dst
                        else missing_container(item.dst))
                self.fatal = self.fatal or gone
        if self.fatal is None:
            return False
        self.cancel.set()
        return True

    def _failed(self, item: Item, exc: BaseException, t0: float) -> None:
        if item.dst.is_stdio and _broken_pipe(exc):
            # the reader went away (`| head`): not this file's failure - the run ends and
            # main() stops quietly, as for any other command's output
            self.fatal = BrokenPipeError()
            self.cancel.set()
            return
        err = exc if isinstance(exc, DsctlError) else translate(exc, item.src.url())
        if item.dst.is_local and _disk_full(exc):
            # a full or read-only disk is the destination's failure, whatever the
            # reads were wrapped in (it said "No space left on device (-)" for stdin)
            err.url = item.dst.url()
        elif err.url is None:
            err.url = item.src.url()
        if self._destination_gone(item, err):
            return
        self._finish(ev.Finished("failed", item.src.url(), item.dst.url(), 0, time.monotonic() - t0,
                                 error=str(err), exit_code=int(err.exit_code)))
