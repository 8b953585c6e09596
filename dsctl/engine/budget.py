"""A byte budget that bounds how much file data is held in memory at once.

Every transfer reserves, all at once, the buffer space it will hold for its
whole life (one chunk for small files, a writer buffer plus a chunk for large
streams, k parts for a parallel download). Because a reservation is taken in
one step and released in one step, holders never wait on each other while
holding space, so the budget cannot deadlock; a request larger than the whole
budget is clamped to it.
"""

from __future__ import annotations

import contextlib
import threading


class Cancelled(Exception):
    """The run was interrupted; workers unwind and clean up."""


class MemoryBudget:
    def __init__(self, total: int, cancel: threading.Event | None = None):
        self.total = max(1, total)
        self.free = self.total
        self.peak = 0
        self._cond = threading.Condition()
        self._cancel = cancel or threading.Event()

    @contextlib.contextmanager
    def reserve(self, nbytes: int):
        n = min(max(0, nbytes), self.total)
        with self._cond:
            while self.free < n:
                if self._cancel.is_set():
                    raise Cancelled()
                self._cond.wait(0.2)
            self.free -= n
            self.peak = max(self.peak, self.total - self.free)
        try:
            yield n
        finally:
            with self._cond:
                self.free += n
                self._cond.notify_all()
