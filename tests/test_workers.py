"""The engine's file-worker pool: every item runs once, the queue is bounded, a crash
surfaces in the planning thread, and cancel() drops what has not started but waits
for what has (Ctrl-C must not exit under a worker that is still cleaning up)."""

from __future__ import annotations

import threading
import time

import pytest

from dsctl.engine.workers import FilePool


def test_every_item_runs_once():
    done, lock = [], threading.Lock()

    def fn(i):
        with lock:
            done.append(i)

    pool = FilePool(fn, 8)
    for i in range(500):
        pool.put(i)
    pool.close()
    assert sorted(done) == list(range(500))


def test_queue_is_bounded_while_workers_are_busy():
    gate = threading.Event()
    pool = FilePool(lambda _i: gate.wait(5), 2)
    t0 = time.monotonic()
    for i in range(8):          # 2 workers x 4 each (running or queued): these go straight in
        pool.put(i)
    blocked = threading.Thread(target=pool.put, args=(99,))
    blocked.start()
    blocked.join(0.5)
    assert blocked.is_alive(), "a ninth item was accepted while the queue was full"
    gate.set()
    blocked.join(5)
    pool.close()
    assert time.monotonic() - t0 < 5


def test_a_full_queue_takes_items_again_only_when_half_empty():
    """The planner sleeps from 4*jobs in flight until 2*jobs, not item by item."""
    release = [threading.Event() for _ in range(6)]
    pool = FilePool(lambda i: release[i].wait(5), 1)
    for i in range(4):
        pool.put(i)
    blocked = threading.Thread(target=pool.put, args=(4,))
    blocked.start()
    release[0].set()            # 3 left in flight: still above the low mark
    blocked.join(0.5)
    assert blocked.is_alive(), "put() resumed before the queue was down to half"
    release[1].set()            # 2 left: room again
    blocked.join(5)
    assert not blocked.is_alive()
    for e in release:
        e.set()
    pool.close()


def test_a_crash_in_a_worker_is_raised_by_close():
    def fn(i):
        if i == 3:
            raise RuntimeError("bug in fn")

    pool = FilePool(fn, 2)
    for i in range(6):
        pool.put(i)
    with pytest.raises(RuntimeError, match="bug in fn"):
        pool.close()


def test_cancel_drops_queued_items_and_waits_for_running_ones():
    started, finished = [], []
    release = threading.Event()

    def fn(i):
        started.append(i)
        release.wait(5)
        time.sleep(0.2)          # still cleaning up when cancel() is called
        finished.append(i)

    pool = FilePool(fn, 1)
    pool.put(0)
    pool.put(1)                  # waits in the queue behind item 0
    while not started:
        time.sleep(0.01)
    release.set()
    pool.cancel()
    assert finished == [0], "cancel() returned before the running item finished"
    assert 1 not in started, "a queued item ran after cancel()"
