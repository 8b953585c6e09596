"""sync and check, against every writable store (and http as a source)."""

from __future__ import annotations

import json
import os
import time

from .cli import run


def _local_tree(root, files):
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


def test_sync_copies_changes_skips_unchanged_and_deletes(wstore, tmp_path):
    src = tmp_path / "src"
    _local_tree(src, {"a.txt": b"a1", "d/b.txt": b"b1", "d/c.txt": b"c1"})
    r = run("sync", f"{src}/", wstore.url("mirror/"))
    assert r.code == 0 and "copied 3 files" in r.err, r
    r = run("--json", "sync", f"{src}/", wstore.url("mirror/"))
    events = [json.loads(line) for line in r.lines]
    assert r.code == 0 and {e["event"] for e in events[:-1]} == {"skipped"}, r
    assert all(e.get("reason") == "unchanged" for e in events[:-1])
    time.sleep(1.1)  # a later modification time than the copies
    (src / "a.txt").write_bytes(b"a2-longer")
    (src / "d" / "c.txt").unlink()
    wstore.put("mirror/stray.txt", b"not in src")
    r = run("sync", "--delete", "--dry-run", f"{src}/", wstore.url("mirror/"))
    assert r.code == 0 and "would delete" in r.text and wstore.exists("mirror/stray.txt"), r
    r = run("--json", "sync", "--delete", f"{src}/", wstore.url("mirror/"))
    assert r.code == 0, r
    events = [json.loads(line) for line in r.lines]
    assert sum(e["event"] == "deleted" for e in events) == 2, r   # stray.txt, d/c.txt
    assert events[-1]["event"] == "summary" and events[-1]["deleted"] == 2, r   # counted too
    assert wstore.keys() == {"mirror/a.txt", "mirror/d/b.txt"}
    assert wstore.get("mirror/a.txt") == b"a2-longer"
    r = run("check", f"{src}/", wstore.url("mirror/"))
    assert r.code == 0 and "2 file(s) match" in r.err, r


def test_sync_size_only_and_checksum(wstore, tmp_path):
    src = tmp_path / "s"
    _local_tree(src, {"f": b"AAAA"})
    assert run("sync", f"{src}/", wstore.url("m/")).code == 0
    wstore.put("m/f", b"BBBB")  # same size, different bytes, newer
    r = run("sync", "--size-only", f"{src}/", wstore.url("m/"))
    assert r.code == 0 and wstore.get("m/f") == b"BBBB", r
    r = run("sync", "--checksum", f"{src}/", wstore.url("m/"))
    assert r.code == 0 and wstore.get("m/f") == b"AAAA", r


def test_check_reports_every_difference_with_exit_6(store, tmp_path):
    store.put_many({"same": b"1", "changed": b"abc", "resized": b"12", "only-src": b"x"})
    local = tmp_path / "l"
    _local_tree(local, {"same": b"1", "changed": b"abd", "resized": b"123", "only-dst": b"y"})
    r = run("check", store.url(), f"{local}/")
    assert r.code == 6, r
    assert set(r.lines) == {"content differs: changed", "size differs: resized",
                            "missing in destination: only-src", "only in destination: only-dst"}
    assert "1 file(s) match" in r.err


def test_sync_refuses_files_and_missing_source(tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    assert run("sync", tmp_path / "f", tmp_path / "o").code == 2
    assert run("sync", tmp_path / "nope", tmp_path / "o").code == 3
    assert not os.path.exists(tmp_path / "o")


def test_sync_filters_leave_excluded_paths_alone_on_both_sides(wstore, tmp_path):
    """--exclude/--include on sync, as in rclone and aws s3 sync: an excluded path is not
    copied, and with --delete an excluded destination file is not deleted either."""
    src = tmp_path / "src"
    _local_tree(src, {"a.txt": b"a", "b.tmp": b"t", "d/c.txt": b"c", "d/e.log": b"e"})
    wstore.put_many({"m/keep.tmp": b"mine", "m/extra.txt": b"x", "m/d/old.log": b"o"})
    r = run("sync", "--delete", "--exclude", "*.tmp", "--exclude", "*.log", f"{src}/", wstore.url("m/"))
    assert r.code == 0 and "copied 2 files" in r.err, r
    assert {k: wstore.get(k) for k in wstore.keys()} == {
        "m/a.txt": b"a", "m/d/c.txt": b"c", "m/keep.tmp": b"mine", "m/d/old.log": b"o"}
    r = run("sync", "--delete", "--include", "d/**", f"{src}/", wstore.url("m/"))
    assert r.code == 0 and "copied 1 file " in r.err, r   # d/e.log; d/old.log goes
    assert wstore.keys() == {"m/a.txt", "m/d/c.txt", "m/d/e.log", "m/keep.tmp"}
