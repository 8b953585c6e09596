"""--bwlimit: one token bucket for every byte a run moves, across all workers.

Workers call `take(n)` before they move n bytes. Tokens accrue at `rate` bytes
per second up to `burst`; a take larger than what is available goes into debt
and the caller sleeps until the debt is paid, so the average rate over any
stretch longer than a chunk is at most `rate` (plus one burst at the start).
Sleeps wake early when the run is cancelled.
"""

from __future__ import annotations

import threading
import time

from .budget import Cancelled


class RateLimiter:
    def __init__(self, rate: int, cancel: threading.Event | None = None, burst: int | None = None):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        # a small burst: a quarter of a second's worth, at most 1 MiB
        self.burst = float(burst if burst is not None else min(rate / 4, 1024 * 1024))
        self._tokens = self.burst
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self._cancel = cancel or threading.Event()
        self.taken = 0

    def take(self, n: int) -> None:
        if n <= 0:
            return
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= n
            self.taken += n
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            # sleep outside the lock; later callers queue behind the debt we left
            if self._cancel.wait(wait):
                raise Cancelled()

    def chunk(self, default: int) -> int:
        """A chunk size that keeps the rate smooth: about an eighth of a second's worth."""
        return max(64 * 1024, min(default, int(self.rate / 8)))
