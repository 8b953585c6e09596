"""sync, --no-clobber and --delete against what a local destination really holds:
symlinked directories, FIFOs, broken links and files that cannot be removed."""

from __future__ import annotations

import json
import os

from .cli import run, run_unprivileged


def _files(top) -> dict[str, bytes]:
    return {str(p.relative_to(top)): p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file()}


def test_a_copy_that_skips_existing_files_sees_them_through_a_linked_directory(tmp_path):
    """cp --no-clobber (and download's rule) overwrote dst/run/a.txt when dst/run was a
    symlink to a directory: the destination index did not look through the link."""
    (tmp_path / "src" / "run").mkdir(parents=True)
    (tmp_path / "src" / "run" / "a.txt").write_bytes(b"new")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_bytes(b"the user's edits")
    (tmp_path / "dst").mkdir()
    os.symlink(tmp_path / "data", tmp_path / "dst" / "run")
    r = run("cp", "-r", "--no-clobber", f"{tmp_path}/src/", f"{tmp_path}/dst/")
    assert r.code == 0 and "skipped 1" in r.err, r
    assert (tmp_path / "data" / "a.txt").read_bytes() == b"the user's edits"


def test_sync_delete_never_deletes_through_a_linked_directory(tmp_path):
    """A destination directory that is a symlink: files SRC has are written through it
    (as cp does), unchanged ones are skipped, nothing it points to is deleted, and a
    link where SRC has nothing goes as a link. Before, sync copied through it and
    then deleted the link as an "extra file" (check then failed), and re-copied
    everything under it on every run."""
    src, dst, there, other = (tmp_path / n for n in ("src", "dst", "there", "other"))
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"a")
    (src / "sub" / "b.txt").write_bytes(b"b")
    there.mkdir()
    (there / "mine.txt").write_bytes(b"not in SRC")
    other.mkdir()
    (other / "keep.txt").write_bytes(b"k")
    dst.mkdir()
    os.symlink(there, dst / "sub")
    os.symlink(other, dst / "gone")
    r = run("sync", "--delete", f"{src}/", f"{dst}/")
    assert r.code == 0, r
    assert (dst / "sub").is_symlink() and not os.path.lexists(dst / "gone"), r
    assert _files(there) == {"b.txt": b"b", "mine.txt": b"not in SRC"}
    assert _files(other) == {"keep.txt": b"k"}
    r = run("check", f"{src}/", f"{dst}/")
    assert r.code == 6 and r.out.decode().strip() == "only in destination: sub/mine.txt", r
    r = run("sync", f"{src}/", f"{dst}/")
    assert r.code == 0 and "copied 0 files" in r.err and "skipped 2" in r.err, r


def test_sync_replaces_a_fifo_or_broken_link_where_a_file_belongs(tmp_path):
    """An empty source file against a FIFO or a dangling link of "size 0": sync
    --checksum opened the FIFO and hung; plain sync called them unchanged."""
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    for name in ("fifo.txt", "link.txt"):
        (src / name).write_bytes(b"")
    os.mkfifo(dst / "fifo.txt")
    os.symlink(tmp_path / "nowhere", dst / "link.txt")
    for args in (["--checksum"], []):
        r = run("sync", *args, f"{src}/", f"{dst}/")
        assert r.code == 0, (args, r)
        for name in ("fifo.txt", "link.txt"):
            p = dst / name
            assert p.is_file() and not p.is_symlink() and p.read_bytes() == b"", (args, name)


def test_sync_delete_goes_on_past_a_file_it_cannot_remove(tmp_path):
    """One destination file that cannot be removed stopped every later deletion, exit 4,
    with no summary. Now each is tried, the failure is named, the summary is printed
    (with --json too) and the exit is 1."""
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    (src / "a.txt").write_bytes(b"a")
    (dst / "locked").mkdir(parents=True)
    (dst / "locked" / "old1").write_bytes(b"1")
    (dst / "old2").write_bytes(b"2")
    (dst / "locked").chmod(0o555)
    tmp_path.chmod(0o777)
    for p in (src, dst, src / "a.txt", dst / "old2"):
        p.chmod(0o777 if p.is_dir() else 0o666)
    try:
        r = run_unprivileged("--json", "sync", "--delete", f"{src}/", f"{dst}/")
    finally:
        (dst / "locked").chmod(0o755)
    assert r.code == 1, r
    assert not (dst / "old2").exists() and (dst / "locked" / "old1").exists()
    assert (dst / "a.txt").read_bytes() == b"a"
    events = [json.loads(line) for line in r.out.decode().splitlines()]
    assert [e for e in events if e["event"] == "failed"][0]["url"].endswith("locked/old1"), r
    assert events[-1]["event"] == "summary" and events[-1]["deleted"] == 1, r
    assert "locked/old1" in r.err and "Traceback" not in r.err, r


def test_rm_r_goes_on_past_a_file_it_cannot_remove(tmp_path):
    d = tmp_path / "d"
    (d / "locked").mkdir(parents=True)
    (d / "locked" / "x").write_bytes(b"x")
    (d / "y").write_bytes(b"y")
    (d / "locked").chmod(0o555)
    d.chmod(0o777)
    try:
        r = run_unprivileged("rm", "-r", f"{d}/")
    finally:
        (d / "locked").chmod(0o755)
    assert r.code == 1 and not (d / "y").exists() and (d / "locked" / "x").exists(), r
    assert "locked/x" in r.err and "Traceback" not in r.err, r


def test_sync_delete_removes_the_directories_it_emptied(tmp_path):
    """rsync --delete removes a destination directory SRC does not have; dsctl left
    old/ and old/deep/ behind, empty, listed by `ls`."""
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "keep").mkdir(parents=True)
    (src / "keep" / "a.txt").write_bytes(b"a")
    (dst / "old" / "deep").mkdir(parents=True)
    (dst / "old" / "deep" / "x").write_bytes(b"x")
    (dst / "keep" / "gone").mkdir(parents=True)
    (dst / "keep" / "gone" / "y").write_bytes(b"y")
    r = run("sync", "--delete", f"{src}/", f"{dst}/")
    assert r.code == 0, r
    assert sorted(str(p.relative_to(dst)) for p in dst.rglob("*")) == ["keep", "keep/a.txt"]
