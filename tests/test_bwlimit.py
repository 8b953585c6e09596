"""--bwlimit holds the rate: a limited copy of a few MiB takes at least the time the
rate allows (a behaviour test of the limiter, so it measures time - lower bounds
only, plus a loose sanity ceiling)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from dsctl.engine.budget import Cancelled
from dsctl.engine.ratelimit import RateLimiter

from .cli import run
from .stores import make_store

MiB = 1024 * 1024


def test_limiter_holds_the_rate_across_threads():
    lim = RateLimiter(4 * MiB)
    t0 = time.monotonic()

    def worker():
        for _ in range(8):
            lim.take(256 * 1024)    # 4 threads x 8 x 256 KiB = 8 MiB

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    assert lim.taken == 8 * MiB
    assert elapsed >= (8 * MiB - lim.burst) / lim.rate - 0.05, elapsed
    assert elapsed < 10, elapsed


def test_limiter_sleep_ends_on_cancel():
    cancel = threading.Event()
    lim = RateLimiter(1024 * 1024, cancel)
    threading.Timer(0.2, cancel.set).start()
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        lim.take(50 * MiB)          # ~50 s of debt
    assert time.monotonic() - t0 < 5


def test_limiter_chunks_stay_small_at_low_rates():
    assert RateLimiter(1 * MiB).chunk(8 * MiB) == 128 * 1024
    assert RateLimiter(1024 * MiB).chunk(8 * MiB) == 8 * MiB


def _timed(*args, env=None):
    t0 = time.monotonic()
    r = run(*args, env=env)
    return r, time.monotonic() - t0


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_bwlimit_upload_takes_at_least_size_over_rate(kind, request, tmp_path, monkeypatch):
    """3 MiB in three files at 1 MiB/s: at least ~2.75 s (one 256 KiB burst), where
    the same copy without the limit takes a fraction of that."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        (src / f"f{i}.bin").write_bytes(os.urandom(MiB))
    (tmp_path / "d").mkdir()
    dst = make_store(kind, request, tmp_path / "d")
    for k, v in dst.env.items():
        monkeypatch.setenv(k, v)
    r, fast = _timed("cp", "-r", f"{src}/", dst.url("free/"))
    assert r.code == 0, r
    r, limited = _timed("cp", "-r", "--bwlimit", "1M", f"{src}/", dst.url("limited/"))
    assert r.code == 0, r
    assert dst.get("limited/f2.bin") == (src / "f2.bin").read_bytes()
    assert limited >= (3 * MiB - 256 * 1024) / MiB - 0.1, (limited, fast)
    assert limited < 20, limited


def test_bwlimit_download_of_one_large_object(request, tmp_path, monkeypatch):
    """A single 4 MiB object at 2 MiB/s through parallel ranged reads: >= ~1.9 s."""
    store = make_store("s3", request, tmp_path)
    for k, v in store.env.items():
        monkeypatch.setenv(k, v)
    data = os.urandom(4 * MiB)
    store.put("big.bin", data)
    r, limited = _timed("cp", "--bwlimit", "2M", store.url("big.bin"), tmp_path / "out.bin")
    assert r.code == 0, r
    assert (tmp_path / "out.bin").read_bytes() == data
    assert limited >= (4 * MiB - 512 * 1024) / (2 * MiB) - 0.1, limited
    assert limited < 20, limited


def test_bwlimit_rejects_nonsense():
    r = run("cp", "--bwlimit", "10", "a", "b")
    assert r.code == 2, r
    r = run("cp", "--bwlimit", "fast", "a", "b")
    assert r.code == 2, r
