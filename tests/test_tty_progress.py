"""Progress bars only on a terminal (SPEC section 3).

dsctl runs as a real subprocess whose stderr is either the slave side of a
pseudo-terminal (what an interactive user has) or a plain pipe (cron, CI, `2>log`).
stdout always goes to a file, so data and progress can be told apart.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time

import pytest

from .cli import REPO

FILES = {"f1.bin": 1_500_000, "f2.bin": 1_200_000, "f3.bin": 900_000}   # a few MB in all
TOTAL = sum(FILES.values())
ANSI = re.compile(r"\x1b[\[\]()#;?]*[0-9;?]*[A-Za-z]")
BAR_GLYPHS = ("━", "╸", "╺")                 # rich's BarColumn
FILES_COUNTER = re.compile(r"\b\d+/\d+\+? files\b")
BYTES_TOTAL = re.compile(r"\d+(?:\.\d+)?/\d+(?:\.\d+)? ?(?:[kMG]i?B|bytes)\b")
SUMMARY = re.compile(r"^dsctl: copied 3 files \(.+\) in \d+\.\d+s")


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name, size in FILES.items():
        (src / name).write_bytes(os.urandom(size))
    dst = tmp_path / "dst"
    dst.mkdir()
    return src, dst


def _env() -> dict:
    env = dict(os.environ)
    # Whatever the developer's terminal says, rich must decide from the stream alone.
    for k in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES",
              "DSCTL_PROFILE", "DSCTL_DEBUG", "JUPYTER_COLUMNS", "JUPYTER_LINES"):
        env.pop(k, None)
    env["TERM"] = "xterm-256color"
    return env


def _cmd(args) -> list[str]:
    return [sys.executable, "-m", "dsctl", *map(str, args)]


def run_on_tty(args, timeout: float = 60, cols: int = 120, env: dict | None = None) -> tuple[int, bytes, str]:
    """dsctl ARGS with stderr on a pseudo-terminal: (exit code, stdout bytes, terminal text)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    with tempfile.TemporaryFile() as out:
        try:
            p = subprocess.Popen(_cmd(args), stdin=subprocess.DEVNULL, stdout=out, stderr=slave,
                                 env={**_env(), **(env or {})}, cwd=REPO)
        finally:
            os.close(slave)   # only the child holds it now: EOF/EIO on master when it exits
        chunks, deadline = [], time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    p.kill()
                    pytest.fail(f"dsctl {' '.join(map(str, args))} did not finish in {timeout}s")
                ready, _, _ = select.select([master], [], [], min(left, 1.0))
                if not ready:
                    continue
                try:
                    data = os.read(master, 65536)
                except OSError as e:   # Linux: EIO once the slave side is closed
                    if e.errno == errno.EIO:
                        break
                    raise
                if not data:
                    break
                chunks.append(data)
        finally:
            os.close(master)
        code = p.wait(timeout=timeout)
        out.seek(0)
        stdout = out.read()
    return code, stdout, b"".join(chunks).decode("utf-8", "replace")


def run_on_pipe(args, timeout: float = 60) -> tuple[int, bytes, str]:
    p = subprocess.run(_cmd(args), stdin=subprocess.DEVNULL, capture_output=True, env=_env(),
                       cwd=REPO, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def _lines(text: str) -> list[str]:
    return [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def _assert_copied(src, dst):
    """`cp -r SRC DST/` creates DST/SRC (SPEC section 1)."""
    for name, size in FILES.items():
        target = dst / src.name / name
        assert target.is_file(), f"{target} missing"
        assert target.read_bytes() == (src / name).read_bytes()


def _assert_no_bars(text: str, where: str):
    plain = ANSI.sub("", text).replace("━", "=")[-400:]   # short, readable failure messages
    has_ansi = ANSI.search(text) is not None
    has_bar = any(g in text for g in BAR_GLYPHS)
    has_counter = FILES_COUNTER.search(text) is not None
    assert not has_ansi, f"ANSI escape codes on {where} (shown stripped): {plain!r}"
    assert not has_bar, f"progress bar on {where}: {plain!r}"
    assert not has_counter, f"progress counter on {where}: {plain!r}"


# -- on a terminal ----------------------------------------------------------------------------

def test_tty_draws_progress_bar(tree):
    src, dst = tree
    code, stdout, tty = run_on_tty(["cp", "-r", src, f"{dst}/"])
    assert code == 0, tty
    assert stdout == b"", stdout
    assert "3/3 files" in tty, repr(tty)
    assert BYTES_TOTAL.search(tty), f"no byte total in the bar: {tty!r}"
    assert re.search(r"\b(MB|MiB)\b", tty), repr(tty)
    assert ANSI.search(tty), f"no terminal control codes: {tty!r}"
    assert any(g in tty for g in BAR_GLYPHS) or "-" in tty, repr(tty)
    # The bar is followed by the one-line summary.
    last = ANSI.sub("", _lines(tty)[-1]).strip()
    assert SUMMARY.match(last), repr(tty)
    _assert_copied(src, dst)


@pytest.mark.parametrize("args", [["-q", "cp", "-r"], ["cp", "-q", "-r"]], ids=["global", "command"])
def test_tty_quiet_prints_nothing(tree, args):
    src, dst = tree
    code, stdout, tty = run_on_tty([*args, src, f"{dst}/"])
    assert code == 0
    assert tty == "", f"-q on a terminal printed: {tty!r}"
    assert stdout == b""
    _assert_copied(src, dst)


@pytest.mark.parametrize("args", [["--json", "cp", "-r"], ["cp", "--json", "-r"]], ids=["global", "command"])
def test_tty_json_events_and_no_bars(tree, args):
    src, dst = tree
    code, stdout, tty = run_on_tty([*args, src, f"{dst}/"])
    assert code == 0, tty
    events = [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]
    assert events, "no NDJSON on stdout"
    *files, summary = events
    assert summary["event"] == "summary", events
    assert summary["copied"] == 3 and summary["failed"] == 0 and summary["bytes"] == TOTAL, summary
    assert sorted(e["event"] for e in files) == ["copied"] * 3, events
    assert sorted(os.path.basename(e["src"]) for e in files) == sorted(FILES), events
    for e in files:
        assert {"src", "dst", "bytes", "seconds"} <= set(e), e
        assert e["bytes"] == FILES[os.path.basename(e["src"])], e
    _assert_no_bars(tty, "the terminal with --json")
    lines = _lines(tty)
    assert len(lines) == 1 and SUMMARY.match(lines[0]), repr(tty)   # summary on stderr, unless -q
    _assert_copied(src, dst)


@pytest.mark.parametrize("args", [["--no-progress", "cp", "-r"], ["cp", "--no-progress", "-r"]],
                         ids=["global", "command"])
def test_tty_no_progress_turns_bars_off(tree, args):
    src, dst = tree
    code, stdout, tty = run_on_tty([*args, src, f"{dst}/"])
    assert code == 0, tty
    _assert_no_bars(tty, f"the terminal with {' '.join(args)}")
    lines = _lines(tty)
    assert len(lines) == 1 and SUMMARY.match(lines[0]), repr(tty)
    _assert_copied(src, dst)


# -- not on a terminal ------------------------------------------------------------------------

def test_pipe_no_bars_just_summary(tree):
    src, dst = tree
    code, stdout, err = run_on_pipe(["cp", "-r", src, f"{dst}/"])
    assert code == 0, err
    assert stdout == b""
    _assert_no_bars(err, "a piped stderr")
    lines = _lines(err)
    assert len(lines) == 1, f"expected only the summary, got: {err!r}"
    assert SUMMARY.match(lines[0]), err
    assert "\r" not in err, repr(err)
    _assert_copied(src, dst)


@pytest.mark.parametrize("args", [["-v", "cp", "-r"], ["cp", "-v", "-r"]], ids=["global", "command"])
def test_pipe_verbose_one_line_per_file(tree, args):
    src, dst = tree
    code, stdout, err = run_on_pipe([*args, src, f"{dst}/"])
    assert code == 0, err
    assert stdout == b""
    _assert_no_bars(err, "a piped stderr with -v")
    lines = _lines(err)
    assert len(lines) == len(FILES) + 1, err
    *per_file, summary = lines
    assert SUMMARY.match(summary), err
    for name in FILES:
        assert sum(name in line for line in per_file) == 1, f"{name} not on exactly one line: {err!r}"
    _assert_copied(src, dst)


def test_pipe_progress_forces_bar(tree):
    """--progress draws even without a terminal (no cursor tricks, the final state)."""
    src, dst = tree
    code, stdout, err = run_on_pipe(["cp", "--progress", "-r", src, f"{dst}/"])
    assert code == 0, err
    assert "3/3 files" in err, err
    assert BYTES_TOTAL.search(err), err
    assert SUMMARY.match(_lines(err)[-1]), err
    _assert_copied(src, dst)


@pytest.mark.parametrize("cols, env", [(20, {}), (120, {"COLUMNS": "0"})], ids=["20-columns", "COLUMNS=0"])
def test_a_narrow_terminal_keeps_messages_whole(tree, cols, env):
    """On a 20-column terminal rich cut the summary and errors into pieces; COLUMNS=0
    printed no summary at all. Message lines stay whole (the terminal wraps them)."""
    src, dst = tree
    code, _, tty = run_on_tty(["cp", "-r", src, f"{dst}/"], cols=cols, env=env)
    assert code == 0, tty
    text = ANSI.sub("", tty).replace("\r", "")
    assert re.search(r"dsctl: copied 3 files \(.+\) in \d+\.\d+s", text), repr(tty)


def test_no_bar_over_a_files_bytes_on_the_same_terminal(tree):
    """`cp f -` with stdout and stderr on one terminal: the bar was drawn over the file's
    bytes ("0/0+ files ━━━━ 0/? bytes ?  <data>"); aws s3 cp - and curl draw none there."""
    src, _ = tree
    (src / "t.txt").write_bytes(b"plain text\n")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    try:
        p = subprocess.Popen(_cmd(["cp", src / "t.txt", "-"]), stdin=subprocess.DEVNULL, stdout=slave,
                             stderr=slave, env=_env(), cwd=REPO)
    finally:
        os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            p.kill()
            pytest.fail("dsctl did not finish")
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert p.wait(timeout=30) == 0
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "plain text" in text
    _assert_no_bars(text, "the terminal that shows the data")


def test_quiet_wins_over_verbose_for_rm_and_sync_delete(tree):
    """-q -v: cp printed nothing, rm and sync --delete printed a line per path."""
    src, dst = tree
    (dst / "extra.bin").write_bytes(b"x")
    for args in (["-q", "-v", "sync", "--delete", f"{src}/", f"{dst}/"], ["-q", "-v", "rm", "-r", f"{dst}/"]):
        code, out, err = run_on_pipe(args)
        assert code == 0 and out == b"" and err == "", (args, out, err)


def test_the_bar_ends_full_when_files_are_skipped(tree):
    """Skipped files' bytes stayed in the bar's total: a finished run stood at
    "0.2/86.2 MiB" with an ETA (download and sync of mostly present files)."""
    src, dst = tree
    assert run_on_pipe(["cp", "-r", src, f"{dst}/"])[0] == 0
    (src / "f4.bin").write_bytes(os.urandom(300_000))
    code, _, tty = run_on_tty(["cp", "-r", "--no-clobber", src, f"{dst}/"])
    assert code == 0 and "skipped 3" in tty, tty
    shown = re.findall(r"([\d.]+)/([\d.]+) ?(?:[KkMG]i?B|bytes)", ANSI.sub("", tty))
    assert shown, tty
    done, total = shown[-1]
    assert done == total, shown[-3:]


@pytest.mark.parametrize("cols", [30, 40, 60])
def test_a_narrow_terminal_gets_a_bar_that_fits_or_none(tree, cols):
    """Under 40 columns the bar was drawn 80 wide: every redraw wrapped and left a line
    behind (74 lines for a 4 s upload); at 40 the byte total was cut ("85.8/8… MiB")."""
    src, dst = tree
    code, _, tty = run_on_tty(["cp", "-r", src, f"{dst}/"], cols=cols)
    assert code == 0, tty
    text = ANSI.sub("", tty)
    rows = [r for r in text.replace("\r\n", "\n").split("\n") for r in r.split("\r") if r.strip()]
    assert all(len(r) <= cols for r in rows[:-1]), rows   # the summary may wrap; bars may not
    if cols < 40:
        _assert_no_bars(tty, f"a {cols}-column terminal")
    else:
        assert re.search(r"3/3 files.*?([\d.]+)/\1 ?MiB", text), rows[-3:]
