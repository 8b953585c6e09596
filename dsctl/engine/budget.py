"""A byte budget that bounds how much file data is held in memory at once.

Every transfer reserves, all at once, the buffer space it will hold for its
whole life (one chunk for small files, a writer buffer plus a chunk for large
streams, k parts for a parallel download). Because a reservation is taken in
one step and released in one step, holders never wait on each other while
holding space, so the budget cannot deadlock; a request larger than the whole
budget is clamped to it.
"""

from __future__ import annotations

import threading


class Cancelled(BaseException):
    """The run was interrupted; workers unwind and clean up. A BaseException (like
    asyncio's CancelledError) so that no `except Exception` and no translating()
    block takes it for a failure of the transfer."""


class MemoryBudget:
    def __init__(self, total: int, cancel: threading.Event | None = None):
        self.total = max(1, total)
        self.free = self.total
        self.peak = 0
        self._cond = threading.Condition(threading.Lock())
        self._waiting = 0
        self._cancel = cancel or threading.Event()

    def reserve(self, nbytes: int) -> "_Reservation":
        """`with budget.reserve(n) as got:` holds min(n, total) bytes for the block."""
        return _Reservation(self, min(max(0, nbytes), self.total))

    def _take(self, n: int) -> None:
        with self._cond:
            while self.free < n:
                if self._cancel.is_set():
                    raise Cancelled()
                self._waiting += 1
                try:
                    self._cond.wait(0.2)
                finally:
                    self._waiting -= 1
            self.free -= n
            if self.total - self.free > self.peak:
                self.peak = self.total - self.free

    def _give(self, n: int) -> None:
        with self._cond:
            self.free += n
            if self._waiting:   # waking nobody is the common case with many small files
                self._cond.notify_all()


class _Reservation:
    __slots__ = ("budget", "n")

    def __init__(self, budget: MemoryBudget, n: int):
        self.budget, self.n = budget, n

    def __enter__(self) -> int:
        self.budget._take(self.n)
        return self.n

    def __exit__(self, *exc) -> None:
        self.budget._give(self.n)
