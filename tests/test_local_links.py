"""Symlinks and special files in a local source directory.

What a user notices: a FIFO (or socket, or device) in a directory being copied is
reported and left out - opening it used to block the copy forever, past Ctrl-C and
SIGTERM; a broken symlink and a symlink loop are reported, the rest is copied (exit 1);
a symlink to a directory is copied with its contents, as the AWS CLI and s5cmd do;
and `rm -r` deletes links, never what they point to.
"""

from __future__ import annotations

import os

import pytest

from .cli import run, run_proc
from .stores import store_in_env

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")

FILES = {"d/f.txt": b"f", "extlink/e.txt": b"e", "link_to_f": b"f"}


@pytest.fixture
def tree(tmp_path):
    """src/ with a file, a symlink to it, a symlink to a directory outside, a FIFO,
    a dangling symlink and a symlink to an ancestor."""
    src, ext = tmp_path / "src", tmp_path / "ext"
    (src / "d").mkdir(parents=True)
    ext.mkdir()
    (src / "d" / "f.txt").write_bytes(b"f")
    (ext / "e.txt").write_bytes(b"e")
    os.symlink(src / "d" / "f.txt", src / "link_to_f")
    os.symlink(ext, src / "extlink")
    os.symlink(tmp_path / "nowhere", src / "dangling")
    os.symlink("..", src / "d" / "loop")
    os.mkfifo(src / "pipe")
    return src


def _files(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)).replace(os.sep, "/"): p.read_bytes()
            for p in root.rglob("*") if p.is_file()}


def _refusals(err: str) -> set[str]:
    return {line.rsplit("(", 1)[1].rstrip(")").rsplit("/", 1)[-1]
            for line in err.splitlines() if line.startswith("dsctl: error: ") and "(" in line
            and "files failed" not in line}


def test_cp_and_sync_report_what_is_no_file_and_copy_the_rest(tree, tmp_path):
    for cmd in (["cp", "-r"], ["sync"]):
        out = tmp_path / f"out-{cmd[0]}"
        r = run_proc(*cmd, f"{tree}/", f"{out}/", timeout=60)   # a FIFO opened would hang here
        assert r.code == 1, r
        assert "not copied: a FIFO" in r.err and "broken symbolic link" in r.err, r
        assert "symbolic link loop" in r.err, r
        assert _refusals(r.err) == {"pipe", "dangling", "loop"}, r
        assert _files(out) == FILES


def test_ls_r_lists_what_a_copy_reads(tree):
    r = run("ls", "-r", tree)
    assert r.code == 0, r
    assert r.lines == ["d/f.txt", "d/loop", "dangling", "extlink/e.txt", "link_to_f", "pipe"]


def test_upload_to_s3_follows_the_directory_link(tree, request, tmp_path, monkeypatch):
    s3 = store_in_env("s3", request, tmp_path, monkeypatch)
    r = run_proc("upload", f"{tree}/", s3.url("up/"), timeout=60)
    assert r.code == 1, r
    assert s3.keys() == {f"up/{k}" for k in FILES}
    assert s3.get("up/extlink/e.txt") == b"e"


def test_rm_r_deletes_links_not_their_targets(tree, tmp_path):
    os.unlink(tree / "pipe")
    ext = tmp_path / "ext"
    r = run("rm", "-r", tree)
    assert r.code == 0, r
    assert not tree.exists() or not any(tree.rglob("*")), list(tree.rglob("*"))
    assert (ext / "e.txt").read_bytes() == b"e"


def test_check_does_not_open_a_fifo(tree, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    os.mkfifo(other / "pipe")
    r = run_proc("check", tree, other, timeout=60)
    assert r.code == 6, r
    assert "not a regular file: pipe" in r.text, r


def test_artifact_log_refuses_a_directory_with_a_fifo(tree, tmp_path, monkeypatch):
    monkeypatch.setenv("DSCTL_CONFIG_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("DSCTL_ARTIFACT_ROOT", str(tmp_path / "root"))
    os.unlink(tree / "d" / "loop")
    os.unlink(tree / "dangling")
    r = run_proc("artifact", "log", tree, "store://artifacts/p/k", timeout=60)
    assert r.code == 7 and "a FIFO" in r.err, r
    assert not (tmp_path / "root").exists() or not any((tmp_path / "root").rglob("*.json"))
    os.unlink(tree / "pipe")
    r = run("artifact", "log", tree, "store://artifacts/p/k")
    assert r.code == 0 and "(3 files," in r.err, r


def test_no_follow_symlinks_leaves_every_link_out_quietly(tree, tmp_path):
    """--no-follow-symlinks (cp, upload, sync), as `aws s3 cp --no-follow-symlinks`: links
    to files, to directories, broken ones and loops are all left out without a word; the
    FIFO is still reported."""
    for cmd in (["cp", "-r", "--no-follow-symlinks"], ["sync", "--no-follow-symlinks"]):
        out = tmp_path / f"nf-{cmd[0]}"
        r = run_proc(*cmd, f"{tree}/", f"{out}/", timeout=60)
        assert r.code == 1, r   # the FIFO failed, d/f.txt was copied
        assert _refusals(r.err) == {"pipe"}, r
        assert _files(out) == {"d/f.txt": b"f"}


def test_rm_of_a_link_named_as_the_argument_removes_the_link_only(tmp_path):
    """`rm -r LINK` walked into the directory LINK points to and deleted its files (data
    loss); GNU rm removes the link - also without -r, also a broken one - and refuses
    `LINK/` ("Not a directory")."""
    target = tmp_path / "precious"
    (target / "sub").mkdir(parents=True)
    (target / "k").write_bytes(b"keep")
    (target / "sub" / "k2").write_bytes(b"keep2")
    d = tmp_path / "d"
    d.mkdir()
    for name in ("a", "b", "c"):
        os.symlink(target, d / name)
    os.symlink(tmp_path / "nowhere", d / "broken")
    (d / "f.txt").write_bytes(b"f")
    r = run("rm", "-r", f"{d}/a/")
    assert r.code == 2 and "symbolic link" in r.err and os.path.islink(d / "a"), r
    r = run("rm", "-r", f"{d}/[a]/")   # the same through a glob
    assert r.code == 2 and "symbolic link" in r.err and os.path.islink(d / "a"), r
    r = run("rm", "-r", d / "a")
    assert r.code == 0 and not os.path.lexists(d / "a"), r
    r = run("rm", d / "b")
    assert r.code == 0 and not os.path.lexists(d / "b"), r
    r = run("rm", d / "broken")
    assert r.code == 0 and not os.path.lexists(d / "broken"), r
    r = run("rm", "-r", f"{d}/*")   # a glob's match that is a link: the link goes
    assert r.code == 0 and "removed 2 files" in r.err and sorted(os.listdir(d)) == [], r
    assert (target / "k").read_bytes() == b"keep" and (target / "sub" / "k2").read_bytes() == b"keep2"
