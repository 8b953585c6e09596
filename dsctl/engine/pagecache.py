"""How much one write into a new file's page cache should move: chosen by measuring.

Why it matters: Linux backs a buffered write with page-cache folios as large as the
write (on filesystems with large folios, e.g. ext4 and xfs on recent kernels: up to a
few MiB), so the write size decides which of the kernel's free memory the bytes are
copied into - and that memory is not all alike.
On a VM whose free memory is handed back to the host (virtio-balloon free page
reporting) or is fragmented, memory of one block size can be several times slower to
copy into than another's, and which one changes with what the machine did last. A
512 MiB download measured both ways (bench/run.py's server, alternating runs):

    free memory after deleting 19 GiB:  1 MiB writes 0.42 s,  64 KiB writes 0.56 s
    memory full of fresh cache:         1 MiB writes 0.68 s,  64 KiB writes 0.48 s

and s5cmd (32 KiB writes) ~0.52 s in both. No file the kernel offers says which
memory is slow (/proc/buddyinfo counts free blocks, not how warm they are), so each
file's writer times its own writes: the cheaper size per byte is used, the other
retried now and then in case the machine changed. Measured: 0.45 s in both states.

A third size, 32 KiB, and retries made rarer the dearer a size was, came from a state
those two lost in: 8 GiB free, but the memory just released by another tool's small
writes (s5cmd had run before). 1 MiB writes there cost 2-9 ns/B in streaks, and the
two-size sizer took 0.99-1.17 s against s5cmd's 0.63-0.72 s. Alternating series of the
same download, three-size sizer / two-size / s5cmd:

    after s5cmd, 8 GiB free:             0.69 s / 1.17 s / 0.69-0.72 s
    after dsctl, 8 GiB free:             0.57-0.60 s / 0.73 s / 0.63 s
    page cache full (no TIGHT rule):     0.69 s / 0.76 s / 0.61-0.66 s
    after drop_caches, 19 GiB free:      0.69 s / 0.66 s / 0.71-0.80 s

How timings are kept: the size in use by a running average of its writes; a size
retried after a while by its newest timing alone (its old figure is stale); a new
file's first write not at all (4-16 ns/B, whatever its size, then 0.2-0.6). Before,
one slow early write kept its size out for most of a file - in logged downloads the
sizer wrote 32 KiB pieces at 0.45 ns/B while its 1 MiB retries took 0.19. Medians of
8-12 alternating runs (fallocate'd files, engine.prealloc), old / new / s5cmd:

    14 GiB free, old after s5cmd, new after old   0.607 s / 0.537 s / 0.705 s
    14 GiB free, each after s5cmd                 0.611 s / 0.582 s / 0.67 s
    after drop_caches, 20 GiB free                0.741 s / 0.741 s / 0.85 s

A write of the size in use counts as at most CLIP (2) x the best cost: about 1 write in
100 stalls at 10-90x the usual (preempted by the server's threads mid-copy, or a
compaction), and each such write used to push 1 MiB out for a while - 30-50 % of a
file's bytes went in 64 KiB and 32 KiB pieces while 1 MiB writes cost 0.2 ns/B against
0.3 and 0.4. Time spent writing a 512 MiB file (medians of 12): 203 -> 148 ms (1 MiB
throughout: 128 ms), wall 0.569 -> 0.560 s (s5cmd 0.67 s). A simulation of the sizer on
the logged timings agreed, and put it no worse where 1 MiB turns dear (2-9 ns/B) for good
or in streaks: a run of dear writes still lifts the average past the others.

One state is decided without measuring: when free memory cannot hold the file twice
over (MemFree < 2 x its size: the page cache holds nearly everything, as on any
long-running machine), each new folio must first be reclaimed, and large ones need
large blocks reclaimed or compacted, so every write is 32 KiB (an order-3 folio, which
the kernel never treats as a costly allocation). Three series, alternating with s5cmd,
the page cache full (two after ~20 GiB of uploads to the server, one after writing a
19 GiB file):

    adaptive 1 MiB / 64 KiB   1.01 s   0.76 s   0.97 s
    32 KiB                    0.66 s   0.59 s   0.69 s
    s5cmd                     0.66-0.70 s   0.61-0.66 s   0.71-0.76 s
"""

from __future__ import annotations

SIZES = (1 << 20, 64 << 10, 32 << 10)   # each won in some state of memory (above)
TIGHT = SIZES[-1]             # the one size used when free memory is short (above)
TRIAL = 2 * len(SIZES)        # first writes: each size in turn, twice
RETRY = 16                    # a size not in use is retried every RETRY x (its cost / best) writes
WEIGHT = 0.2                  # of the newest timing in a size's running cost
CLIP = 2.0                    # a write of the size in use counts as at most CLIP x the best cost


class WriteSizer:
    """Picks each write's size for one file and learns from its timings. Not
    thread-safe: callers hold the file's writer lock (AtomicLocalFile.lock) across
    next() and took()."""

    def __init__(self, size: int | None = None) -> None:
        # `size`: the file's, if known. Too big for free memory: TIGHT (see above). Small
        # files are not asked about: one write each, and /proc/meminfo costs ~13 us a read.
        self._fixed = TIGHT if size and size > SIZES[0] and size > free_memory() // 2 else None
        self._cost: list[float | None] = [None] * len(SIZES)   # ns per byte, running
        self._writes = 0
        self._idle = [0] * len(SIZES)   # writes since each size was last used
        self._now = 0   # index of the size last handed out
        self._probe = False   # whether that was a retry of a size not in use
        self._warm = False    # whether the file's first write (never counted) is done

    def next(self) -> int:
        """The size of the next write (or of the next run of writes timed together)."""
        if self._fixed:
            return self._fixed
        self._writes += 1
        if self._writes <= TRIAL or None in self._cost:
            self._now = self._writes % len(SIZES)
            return SIZES[self._now]
        cost = self._cost
        best = min(range(len(SIZES)), key=cost.__getitem__)
        self._now = best
        # Retrying a size that cost 4x costs 4x: try it 4x less often, so checking
        # whether the machine changed stays about as cheap in any state.
        for i in range(len(SIZES)):
            if i != best:
                self._idle[i] += 1
                if self._now == best and self._idle[i] >= RETRY * cost[i] / max(cost[best], 1e-9):
                    self._now = i
        self._idle[self._now] = 0
        self._probe = self._now != best
        return SIZES[self._now]

    def took(self, nbytes: int, ns: int) -> None:
        """`nbytes` written in `ns` nanoseconds, in pieces of the size next() gave."""
        if nbytes <= 0 or self._fixed:   # a fixed size learns nothing from its timings
            return
        if not self._warm:   # a new file's first write costs 4-16 ns/B, then 0.2-0.6: not a size's
            self._warm = True
            self._writes -= 1   # and the trial runs in full after it
            return
        per_byte = ns / nbytes
        if not self._probe and None not in self._cost:
            # One write stalled by preemption or a compaction (10-90x the usual, ~1 in 100)
            # would otherwise push the size in use out for many writes; a real change
            # shows as a run of dear writes, and that still moves the average past CLIP x.
            per_byte = min(per_byte, CLIP * min(self._cost))
        old = self._cost[self._now]
        # The size in use is timed write after write: a running average. A retried one was
        # last timed long ago: its new timing replaces the stale figure, or one slow write
        # would keep a size out for good (a 512 MiB file went all 32 KiB at 0.45 ns/B while
        # its 1 MiB retries took 0.19, an early 4.4 still weighing on the average).
        weight = 1.0 if self._probe else WEIGHT
        self._cost[self._now] = per_byte if old is None else old + weight * (per_byte - old)


def free_memory() -> int:
    """MemFree in bytes (Linux), or a huge number where it cannot be read."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemFree:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 1 << 62
