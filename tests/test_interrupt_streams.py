"""Ctrl-C and SIGTERM while dsctl waits on a stream rather than on a store.

A worker blocked reading stdin or a FIFO held the whole run: the signal was taken
only when the producer wrote or ended (`(slow job) | dsctl cp - …` could not be
stopped), and `cat` to a reader that stopped reading waited for that reader. And
one Ctrl-C reaching both ends of `producer | dsctl cp - s3://…` could store the
truncated stream as the object: the worker saw the producer's EOF before the main
thread had turned the signal into a cancel (engine.interrupt).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from . import test_interrupt
from .test_interrupt import BUCKET, Dsctl, _assert_interrupted, _files_below, _object_exists, _uploads

s3, s3_env = test_interrupt.s3, test_interrupt.s3_env   # the module's fixtures, shared

MiB = 1024 * 1024
QUICK_EXIT = 10   # seconds: the waits poll every 0.2 s


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_a_copy_waiting_for_stdin(tmp_path, sig):
    out = tmp_path / "out"
    out.mkdir()
    p = Dsctl("cp", "-", out / "f.bin", env={}, stdin=subprocess.PIPE)
    p.proc.stdin.write(b"x" * 1000)   # a first chunk, then the producer goes quiet
    p.proc.stdin.flush()
    time.sleep(1.5)
    p.signal(sig)
    producer, p.proc.stdin = p.proc.stdin, None   # communicate() would close it: EOF
    try:
        _assert_interrupted(p, p.finish(QUICK_EXIT))
    finally:
        producer.close()
    assert _files_below(out) == [], p.describe()


def test_a_signal_stops_a_copy_from_a_fifo_nobody_writes(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    out.mkdir()
    p = Dsctl("cp", fifo, out / "f.bin", env={})
    time.sleep(1.5)
    p.signal(signal.SIGINT)
    _assert_interrupted(p, p.finish(QUICK_EXIT))
    assert _files_below(out) == [], p.describe()


@pytest.mark.parametrize("cmd", ["cat", "cp"])
def test_sigterm_ends_output_whose_reader_stopped_reading(s3, s3_env, cmd):
    """`cat URL` and `cp URL -` into a pipe nobody reads (`| sleep 1000`)."""
    key = f"cat-{uuid.uuid4().hex}"
    s3.put_object(Bucket=BUCKET, Key=key, Body=os.urandom(8 * MiB))
    url = f"s3://{BUCKET}/{key}"
    p = Dsctl(*(["cat", url] if cmd == "cat" else ["cp", url, "-"]), env=s3_env)
    time.sleep(2)   # stdout (a pipe nobody reads) is full by now
    p.signal(signal.SIGTERM)
    try:
        p.proc.wait(QUICK_EXIT)   # not communicate(): reading stdout would free it
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail(f"{cmd} did not exit within {QUICK_EXIT}s of SIGTERM\n{p.describe()}")
    _assert_interrupted(p, p.finish())
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("dsctl: "), p.describe()   # no empty line


def test_a_ctrl_c_with_the_producers_eof_does_not_store_the_stream(s3, s3_env):
    """The signal goes first, the end of stdin right after it, as when one Ctrl-C
    stops a whole pipeline. Before, 1 to 3 runs in 6 stored the truncated stream."""
    for _ in range(5):
        key = f"eof-{uuid.uuid4().hex}"
        p = Dsctl("cp", "-", f"s3://{BUCKET}/{key}", env=s3_env, stdin=subprocess.PIPE)
        p.proc.stdin.write(os.urandom(20 * MiB))   # returns once dsctl has read most of it
        p.proc.stdin.flush()
        time.sleep(0.5)
        p.signal(signal.SIGINT)
        p.proc.stdin.close()
        p.proc.stdin = None   # closed: communicate() must not flush it
        _assert_interrupted(p, p.finish())
        assert not _object_exists(s3, key), p.describe()
        assert _uploads(s3, key) == [], p.describe()


def test_ctrl_c_while_click_is_still_being_imported_exits_130_quietly(tmp_path):
    """Signals sent in dsctl's first ~60 ms landed in the import of click and the
    commands, before main() handled them: a KeyboardInterrupt traceback and exit 1.
    Here the Ctrl-C lands exactly there (an import hook raises it)."""
    code = textwrap.dedent("""
        import sys
        class CtrlC:
            def find_spec(self, name, path=None, target=None):
                if name == "dsctl.cli.app":
                    raise KeyboardInterrupt
        sys.meta_path.insert(0, CtrlC())
        from dsctl.cli import main
        sys.exit(main(["ls", sys.argv[1]]))
    """)
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, timeout=60)
    assert p.returncode == 130 and p.stderr == b"dsctl: interrupted\n", p
