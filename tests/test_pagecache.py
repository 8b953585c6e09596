"""How much each write into a new file moves (engine.pagecache): the file's writer times
its writes and settles on the cheapest size per byte, keeps retrying the others (the
dearer, the rarer), switches when the machine changes, and uses the smallest size
outright when free memory cannot hold the file. (Which size is cheaper depends on the
state of the kernel's free memory: a 512 MiB download took 0.42 s or 0.68 s with 1 MiB
writes, 0.56 s or 0.48 s with 64 KiB writes.)"""

from __future__ import annotations

import os

from dsctl.engine import pagecache
from dsctl.engine.localfile import AtomicLocalFile
from dsctl.engine.pagecache import RETRY, SIZES, TIGHT, WriteSizer

BIG, SMALL, TINY = SIZES


def _run(sizer, writes, ns_per_byte):
    """Hand out `writes` sizes, timing each at ns_per_byte[size]; the sizes handed out."""
    out = []
    for _ in range(writes):
        size = sizer.next()
        sizer.took(size, int(size * ns_per_byte[size]))
        out.append(size)
    return out


def _pwrite_sizes(tmp_path, monkeypatch, data: bytes) -> list[int]:
    """Write `data` through a destination file's pwrite and commit it; the size of each
    os.pwrite it made (after checking the file holds exactly `data`)."""
    sizes, real = [], os.pwrite
    monkeypatch.setattr(os, "pwrite", lambda fd, data, at: sizes.append(len(data)) or real(fd, data, at))
    out = AtomicLocalFile(str(tmp_path / "f"), len(data))
    out.pwrite(data, 0)
    out.commit()
    assert (tmp_path / "f").read_bytes() == data
    return sizes


def test_settles_on_the_cheapest_size_and_keeps_trying_the_others():
    got = _run(WriteSizer(), 400, {BIG: 3.0, SMALL: 1.0, TINY: 2.0})[20:]
    assert got.count(SMALL) > 0.9 * len(got)
    assert BIG in got and TINY in got     # still tried, in case they got cheaper
    got = _run(WriteSizer(), 400, {BIG: 1.0, SMALL: 3.0, TINY: 3.0})[20:]
    assert got.count(BIG) > 0.9 * len(got)
    got = _run(WriteSizer(), 400, {BIG: 3.0, SMALL: 3.0, TINY: 1.0})[20:]
    assert got.count(TINY) > 0.9 * len(got)


def test_a_dearer_size_is_retried_less_often():
    got = _run(WriteSizer(), 1000, {BIG: 8.0, SMALL: 1.0, TINY: 1.5})[20:]
    # retried every RETRY x (cost / best) writes: ~16 and ~5 times in 980
    assert got.count(BIG) < got.count(TINY)
    assert 0 < got.count(BIG) <= len(got) // (RETRY * 8) + 2


def test_switches_when_another_size_becomes_cheaper():
    sizer = WriteSizer()
    _run(sizer, 100, {BIG: 3.0, SMALL: 1.0, TINY: 2.0})
    got = _run(sizer, 400, {BIG: 0.5, SMALL: 1.0, TINY: 2.0})
    assert got[-100:].count(BIG) > 90


def test_a_new_files_first_write_is_not_held_against_its_size():
    sizer = WriteSizer()
    first = sizer.next()
    sizer.took(first, first * 100)    # a new file's first write is slow whatever its size
    assert first == SMALL
    got = _run(sizer, 60, {BIG: 3.0, SMALL: 1.0, TINY: 2.0})
    assert got[-30:].count(SMALL) >= 27


def test_one_slow_spell_does_not_keep_a_size_out():
    """A retried size's new timing replaces its stale one: BIG, slow while first timed,
    is back in use after its first retry, not after a dozen."""
    sizer = WriteSizer()
    _run(sizer, 31, {BIG: 6.0, SMALL: 1.0, TINY: 3.0})
    got = _run(sizer, 150, {BIG: 0.5, SMALL: 1.0, TINY: 3.0})
    assert got[-40:].count(BIG) >= 37


def test_one_stalled_write_does_not_move_the_sizer_off_the_cheapest_size():
    sizer = WriteSizer()
    _run(sizer, 60, {BIG: 2.0, SMALL: 1.0, TINY: 3.0})
    size = sizer.next()
    assert size == SMALL
    sizer.took(size, size * 100)      # preempted mid-write: 100x the usual
    got = _run(sizer, 12, {BIG: 2.0, SMALL: 1.0, TINY: 3.0})
    assert got.count(SMALL) >= 11, got


def test_a_destination_file_writes_in_the_sizes_its_sizer_gives(tmp_path, monkeypatch):
    sizes = _pwrite_sizes(tmp_path, monkeypatch, os.urandom(4 * BIG + 5))
    assert max(sizes) == BIG and SMALL in sizes and TINY in sizes   # each tried at first


def test_when_free_memory_cannot_hold_the_file_every_write_is_the_tight_size(monkeypatch):
    monkeypatch.setattr(pagecache, "free_memory", lambda: 600 << 20)
    assert set(_run(WriteSizer(512 << 20), 100, {BIG: 0.1, SMALL: 0.1, TIGHT: 9.0})) == {TIGHT}
    # a file that fits twice over in what is free is sized by measurement as before
    got = _run(WriteSizer(200 << 20), 100, {BIG: 1.0, SMALL: 3.0, TIGHT: 9.0})
    assert got[20:].count(BIG) > 70 and got[20:].count(TIGHT) <= 1   # dear: rarely retried


def test_a_destination_file_writes_tight_pieces_when_memory_is_short(tmp_path, monkeypatch):
    monkeypatch.setattr(pagecache, "free_memory", lambda: 1 << 20)   # < 2 x the file
    sizes = _pwrite_sizes(tmp_path, monkeypatch, os.urandom(2 * BIG + 5))
    assert sizes == [TIGHT] * (2 * BIG // TIGHT) + [5]


def test_small_files_do_not_read_free_memory(tmp_path, monkeypatch):
    # one write each; 2000 of them would otherwise read /proc/meminfo 2000 times
    monkeypatch.setattr(pagecache, "free_memory", lambda: (_ for _ in ()).throw(AssertionError("read")))
    assert _pwrite_sizes(tmp_path, monkeypatch, b"x" * (16 << 10)) == [16 << 10]
