"""Keys that are legal in S3 but that obstore's paths refuse (ASCII control
characters): every command still handles them, through fsspec."""

from __future__ import annotations

import os

import pytest

from .cli import run
from .stores import store_in_env


@pytest.fixture
def s3(request, tmp_path, monkeypatch):
    return store_in_env("s3", request, tmp_path, monkeypatch)


def test_keys_with_a_tab_or_newline_work_in_every_command(s3, tmp_path):
    """Before: cat, check, sync --checksum and uploads over 256 KiB failed with obstore's
    multi-line "illegal character sequence", and `rm -r` of the prefix deleted nothing."""
    src = tmp_path / "src"
    src.mkdir()
    files = {"new\nline.txt": b"n", "tab\tx.txt": b"t", "plain.txt": b"p",
             "tab\tbig.bin": os.urandom(300_000)}
    for name, data in files.items():
        (src / name).write_bytes(data)
    r = run("cp", "-r", f"{src}/", s3.url("d/"))
    assert r.code == 0, r
    assert {k: s3.get(k) for k in s3.keys()} == {f"d/{k}": v for k, v in files.items()}
    r = run("cat", s3.url("d/tab\tx.txt"))
    assert (r.code, r.out) == (0, b"t"), r
    assert run("check", f"{src}/", s3.url("d/")).code == 0
    r = run("sync", "--checksum", f"{src}/", s3.url("d/"))
    assert r.code == 0 and "skipped 4" in r.err, r
    r = run("cp", "-r", s3.url("d/"), tmp_path / "back")
    assert r.code == 0, r
    assert {p.name: p.read_bytes() for p in (tmp_path / "back").iterdir()} == files
    r = run("rm", "-r", s3.url("d/"))
    assert r.code == 0 and "removed 4 files" in r.err, r
    assert s3.keys() == set()


def test_an_error_about_a_name_with_a_newline_is_still_one_line(s3, tmp_path):
    """SPEC 3: errors are one line - the name's newline is shown as \\n."""
    for url in (s3.url("no\nkey"), str(tmp_path / "no\nfile")):
        r = run("cat", url)
        assert r.code == 3, r
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("dsctl: error: not found") and "no\\n" in lines[0], r


@pytest.mark.parametrize("scheme", ["s3", "gs", "az"])
def test_local_names_that_are_not_utf8_are_refused_by_name_not_merged(scheme, request, tmp_path, monkeypatch):
    """Two local files `x\\xff` and `x\\xfe` went to gs:// as one object `x\\ufffd` (exit 0,
    one file lost); S3 and Azure failed them with Python's "surrogates not allowed". Each
    is now that file's own failure, the rest is copied (cp -r and sync)."""
    store = store_in_env(scheme, request, tmp_path, monkeypatch)
    src = tmp_path / "src"
    src.mkdir()
    for raw, data in ((b"x\xff", b"one"), (b"x\xfe", b"two"), (b"ok.txt", b"ok")):
        with open(os.path.join(os.fsencode(src), raw), "wb") as f:
            f.write(data)
    for cmd in (["cp", "-r"], ["sync"]):
        r = run(*cmd, f"{src}/", store.url(f"{cmd[0]}/"))
        assert r.code == 1 and r.err.count("not valid UTF-8") == 2, r
        assert "surrogates" not in r.err, r
    assert {k: store.get(k) for k in store.keys()} == {"cp/ok.txt": b"ok", "sync/ok.txt": b"ok"}


def test_per_file_lines_stay_one_line_per_file(s3, tmp_path):
    """`-v` and check printed a name with a newline over two lines (`copied …/a` then
    `b -> …`); names inside message lines are escaped as errors escape them."""
    src = tmp_path / "nl"
    src.mkdir()
    (src / "a\nb").write_bytes(b"x")
    r = run("-v", "cp", "-r", f"{src}/", s3.url("nl/"))
    assert r.code == 0, r
    copied = [line for line in r.err.splitlines() if line.startswith("copied ")]
    assert len(copied) == 1 and "a\\nb -> " in copied[0] and copied[0].endswith("a\\nb (1 B)"), r
    (src / "a\nb").write_bytes(b"y")
    r = run("check", f"{src}/", s3.url("nl/"))
    assert r.code == 6 and "content differs: a\\nb\n" in r.text, r
    r = run("rm", "-r", "--dry-run", s3.url("nl/"))
    assert r.lines == [f"would remove {s3.url('nl/a')}\\nb"], r


def test_local_names_with_a_tab_or_newline_are_refused_by_azure_not_renamed(request, tmp_path, monkeypatch):
    """adlfs drops tabs and line breaks from a blob name: `tab\\tx.txt` was written as
    `tabx.txt` (exit 0), and the next `sync --delete` copied it again and deleted it.
    Each such file is now its own failure; the rest is copied."""
    store = store_in_env("az", request, tmp_path, monkeypatch)
    src = tmp_path / "src"
    src.mkdir()
    for name in ("tab\tx.txt", "nl\ny.txt", "ok.txt"):
        (src / name).write_bytes(name.encode())
    for cmd in (["cp", "-r"], ["sync", "--delete"]):
        r = run(*cmd, f"{src}/", store.url(f"{cmd[0]}/"))
        assert r.code == 1 and r.err.count("tab or line break") == 2, r
    assert {k: store.get(k) for k in store.keys()} == {"cp/ok.txt": b"ok.txt", "sync/ok.txt": b"ok.txt"}


@pytest.mark.parametrize("scheme", ["s3", "gs", "az"])
def test_an_upper_case_scheme_reads_the_same_object(scheme, request, tmp_path, monkeypatch):
    """`GS://b/k` was looked up as the key `GS://b/k` (exit 3), as were `S3://` and `AZ://`
    off the fast path (DSCTL_FAST=0: what aws_profile/chain/role_arn profiles use)."""
    store = store_in_env(scheme, request, tmp_path, monkeypatch)
    store.put_many({"u/a.txt": b"upper"})
    rest = store.url("u/a.txt").split("://", 1)[1]
    for fast in ("1", "0"):
        monkeypatch.setenv("DSCTL_FAST", fast)
        r = run("cat", f"{scheme.upper()}://{rest}")
        assert r.code == 0 and r.out == b"upper", (fast, r)
    r = run("cat", "MEMORY://nothing/here")
    assert r.code == 3 and "memory://nothing/here" in r.err, r


def test_escape_sequences_in_names_never_reach_the_terminal(s3, tmp_path):
    """A key named `\\x1b]0;PWNED\\x07\\x1b[2J…` went to the terminal raw in -v and error
    lines (clearing the screen, setting its title); GNU ls and cp -v quote such names."""
    evil = "ev/\x1b]0;PWNED\x07\x1b[2J\x1b[31mred.txt"
    s3.put_many({evil: b"x"})
    for args in (["-v", "cp", "-r", s3.url("ev/"), f"{tmp_path}/out/"], ["-v", "rm", "-r", s3.url("ev/")],
                 ["cat", s3.url(evil + "-missing")]):
        r = run(*args)
        assert r.code in (0, 3) and "\x1b" not in r.err and "\x07" not in r.err, (args, r)
        assert "\\x1b]0;PWNED\\x07\\x1b[2J" in r.err, (args, r)
