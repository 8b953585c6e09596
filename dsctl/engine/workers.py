"""The pool of file workers: `jobs` threads taking items in order from a bounded queue.

A leaner ThreadPoolExecutor for the one pattern the engine needs. With thousands
of small files the executor's per-item Future (its own Condition), done callback
and the semaphore that bounded the queue cost ~10 lock round trips per file, all
under the GIL the transfers need; here an item costs one put and one get on a C
queue. The queue is bounded with hysteresis: once `high` items wait, the planning
thread sleeps until only `low` do, so it wakes once per batch rather than once per
finished file (each wake is one more thread fighting the workers for the GIL).
Errors are the caller's business (`fn` reports its own failures); an exception
escaping `fn` is a bug and is re-raised in the planning thread.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable

from .interrupt import block_here

_STOP = object()


class FilePool:
    def __init__(self, fn: Callable[[Any], None], jobs: int, name: str = "dsctl-file"):
        self._fn, self._jobs, self._name = fn, max(1, jobs), name
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        # queued or running: put() waits at `high` until back at `low`
        self._high, self._low = 4 * self._jobs, 2 * self._jobs
        self._put = self._done = 0          # items put (planning thread), items finished
        self._lock = threading.Lock()       # guards _done and _waiting
        self._waiting = False
        self._room = threading.Event()
        self._threads: list[threading.Thread] = []
        self._exited: queue.SimpleQueue = queue.SimpleQueue()   # a token as each thread ends
        self._ended = 0                                         # exit tokens taken
        self._crash: list[BaseException] = []

    def put(self, item: Any) -> None:
        """Queue an item; when `high` are queued or running, first wait (interruptibly)
        until only `low` are."""
        self._raise_crash()
        if self._put - self._done >= self._high:
            with self._lock:
                self._waiting = True
            try:
                while True:
                    self._room.clear()
                    if self._put - self._done <= self._low:
                        break
                    self._raise_crash()
                    self._room.wait(0.2)
            finally:
                with self._lock:
                    self._waiting = False
        self._put += 1
        if len(self._threads) < self._jobs:   # threads start as work arrives
            t = threading.Thread(target=self._loop, name=f"{self._name}-{len(self._threads)}",
                                 daemon=True)
            self._threads.append(t)   # listed before it runs: _stop() then always counts it
            t.start()
        self._work.put(item)

    def close(self) -> None:
        """Wait until every queued item is done; re-raise a crash of `fn`."""
        self.join()
        self._raise_crash()

    def join(self) -> None:
        """Wait until every queued item is done (a no-op once stopped)."""
        self._stop()

    def cancel(self) -> None:
        """Drop the items not yet started and wait for the running ones to return."""
        while True:
            try:
                self._work.get_nowait()
            except queue.Empty:
                break
        self._stop()

    def _stop(self) -> None:
        for _ in range(len(self._threads) - self._ended):
            self._work.put(_STOP)
        # Not Thread.join(): before Python 3.13 a join interrupted by Ctrl-C can mark a
        # still-running thread as stopped (bpo-45274's fix), and the interpreter would
        # then exit under a worker that is still aborting its upload. Each worker hands
        # in a token as it ends; is_alive() (never fooled without join) is the fallback
        # for a token taken just as a second Ctrl-C arrived.
        while self._ended < len(self._threads):
            try:
                self._exited.get(timeout=0.2)
            except queue.Empty:
                if not any(t.is_alive() for t in self._threads):
                    break
                continue
            self._ended += 1
        self._threads.clear()
        self._ended = 0

    def _raise_crash(self) -> None:
        if self._crash:
            raise self._crash[0]

    def _loop(self) -> None:
        block_here()   # Ctrl-C and SIGTERM go to the main thread (engine.interrupt)
        try:
            self._serve()
        finally:
            self._exited.put(None)

    def _serve(self) -> None:
        work, fn, lock = self._work, self._fn, self._lock
        while True:
            item = work.get()
            if item is _STOP:
                return
            try:
                fn(item)
            except BaseException as exc:  # noqa: BLE001 - handed to the planning thread
                self._crash.append(exc)
                self._room.set()
            finally:
                with lock:
                    self._done += 1
                    wake = self._waiting and self._put - self._done <= self._low
                if wake:
                    self._room.set()
