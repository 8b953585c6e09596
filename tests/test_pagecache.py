"""How much each write into a new file moves (engine.pagecache): the file's writer times
its writes and settles on the cheaper size per byte, keeps retrying the other, and
switches when the machine changes. (Which size is cheaper depends on the state of the
kernel's free memory: a 512 MiB download took 0.42 s or 0.68 s with 1 MiB writes,
0.56 s or 0.48 s with 64 KiB writes.)"""

from __future__ import annotations

import os

from dsctl.engine import pagecache
from dsctl.engine.localfile import AtomicLocalFile
from dsctl.engine.pagecache import RETRY, SIZES, TIGHT, WriteSizer

BIG, SMALL = SIZES


def _run(sizer, writes, ns_per_byte):
    """Hand out `writes` sizes, timing each at ns_per_byte[size]; the sizes handed out."""
    out = []
    for _ in range(writes):
        size = sizer.next()
        sizer.took(size, int(size * ns_per_byte[size]))
        out.append(size)
    return out


def test_settles_on_the_cheaper_size_and_keeps_trying_the_other():
    sizer = WriteSizer()
    got = _run(sizer, 200, {BIG: 3.0, SMALL: 1.0})
    later = got[20:]
    assert later.count(SMALL) > 0.9 * len(later)
    assert BIG in later[:RETRY]        # still tried, in case it got cheaper
    got = _run(WriteSizer(), 200, {BIG: 1.0, SMALL: 3.0})[20:]
    assert got.count(BIG) > 0.9 * len(got)


def test_switches_when_the_other_size_becomes_cheaper():
    sizer = WriteSizer()
    _run(sizer, 100, {BIG: 3.0, SMALL: 1.0})
    got = _run(sizer, 300, {BIG: 0.5, SMALL: 1.0})
    assert got[-100:].count(BIG) > 90


def test_a_destination_file_writes_in_the_sizes_its_sizer_gives(tmp_path, monkeypatch):
    sizes, real = [], os.pwrite
    monkeypatch.setattr(os, "pwrite", lambda fd, data, at: sizes.append(len(data)) or real(fd, data, at))
    data = os.urandom(3 * BIG + 5)
    out = AtomicLocalFile(str(tmp_path / "f"), len(data))
    out.pwrite(data, 0)
    out.commit()
    assert (tmp_path / "f").read_bytes() == data
    assert max(sizes) == BIG and SMALL in sizes   # both tried at first


def test_when_free_memory_cannot_hold_the_file_every_write_is_the_tight_size(monkeypatch):
    monkeypatch.setattr(pagecache, "free_memory", lambda: 600 << 20)
    assert set(_run(WriteSizer(512 << 20), 100, {BIG: 0.1, SMALL: 0.1, TIGHT: 9.0})) == {TIGHT}
    # a file that fits twice over in what is free is sized by measurement as before
    got = _run(WriteSizer(200 << 20), 100, {BIG: 1.0, SMALL: 3.0, TIGHT: 9.0})
    assert TIGHT not in got and got[20:].count(BIG) > 70


def test_a_destination_file_writes_tight_pieces_when_memory_is_short(tmp_path, monkeypatch):
    monkeypatch.setattr(pagecache, "free_memory", lambda: 100 << 10)   # < 2 x the file
    sizes, real = [], os.pwrite
    monkeypatch.setattr(os, "pwrite", lambda fd, data, at: sizes.append(len(data)) or real(fd, data, at))
    data = os.urandom(3 * TIGHT + 5)
    out = AtomicLocalFile(str(tmp_path / "f"), len(data))
    out.pwrite(data, 0)
    out.commit()
    assert (tmp_path / "f").read_bytes() == data
    assert sizes == [TIGHT, TIGHT, TIGHT, 5]
