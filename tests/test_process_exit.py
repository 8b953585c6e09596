"""dsctl as a process ends without interpreter teardown (`os._exit`): what it printed
must still all arrive, and output it could not write must still fail the command."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .cli import REPO, run_proc

# Block-buffered stdout, as a user's pipe gets it (the test runner may set this).
BUFFERED = {"PYTHONUNBUFFERED": None}


def test_every_line_of_a_long_listing_reaches_the_pipe(tmp_path):
    # 3000 names are ~100 KB of output: several buffer flushes and a last partial one
    # that only the exit path writes out.
    d = tmp_path / "many"
    d.mkdir()
    names = {f"file-{i:05d}.txt" for i in range(3000)}
    for n in names:
        (d / n).write_bytes(b"x")
    r = run_proc("ls", d, env=BUFFERED)
    assert r.code == 0, r
    assert {line.rsplit("/", 1)[-1].split()[-1] for line in r.lines} == names


def test_bytes_written_by_cat_all_arrive(tmp_path):
    data = os.urandom(300_001)
    (tmp_path / "f.bin").write_bytes(data)
    r = run_proc("cat", tmp_path / "f.bin", env=BUFFERED)
    assert (r.code, r.out) == (0, data), r


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [["--version"], ["completion", "bash"], ["ls", "{d}"],
                                  ["--json", "stat", "{d}/a.txt"], ["cat", "{d}/a.txt"]])
def test_output_that_cannot_be_written_is_a_one_line_error(tmp_path, args):
    (tmp_path / "a.txt").write_bytes(b"a")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open("/dev/full", "w") as full:
        p = subprocess.run([sys.executable, "-m", "dsctl", *(a.format(d=tmp_path) for a in args)],
                           stdout=full, stderr=subprocess.PIPE, cwd=REPO, env=env, timeout=60)
    err = p.stderr.decode()
    assert p.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dsctl: error: "), err
    assert lines[0].endswith("No space left on device"), err


def test_a_reader_that_goes_away_ends_the_command_quietly_with_0(tmp_path):
    """`dsctl … | head` under `set -o pipefail`: the reader closing the pipe is not a
    failure (README), for every command that writes data - before, cat and ls exited 1
    (click's own EPIPE handling) and cp/artifact get to `-` exit 5 with two errors."""
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(8 * 1024 * 1024))
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(4000):
        (tree / f"f{i:05d}.txt").write_bytes(b"x")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["DSCTL_CONFIG_DIR"] = str(tmp_path / "cfg")
    env["DSCTL_ARTIFACT_ROOT"] = str(tmp_path / "root")
    dsctl = [sys.executable, "-m", "dsctl"]
    logged = subprocess.run([*dsctl, "-q", "artifact", "log", str(big), "store://artifacts/p/big"],
                            cwd=REPO, env=env, capture_output=True, timeout=120)
    assert logged.returncode == 0, logged.stderr
    for args in (["cat", big], ["ls", "-r", tree], ["cp", big, "-"],
                 ["artifact", "get", "store://artifacts/p/big", "-"],
                 ["cp", "-r", "--dry-run", f"{tree}/", tmp_path / "dry/"],   # a line per file
                 ["--json", "cp", "-r", f"{tree}/", tmp_path / "json/"]):
        p = subprocess.Popen([*dsctl, *map(str, args)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=REPO, env=env)
        assert len(p.stdout.read(10)) == 10
        p.stdout.close()   # as `head -c 10` does
        err = p.stderr.read().decode()
        assert p.wait(timeout=120) == 0, (args, err)
        assert "error" not in err and "Traceback" not in err, (args, err)
    # a transfer whose report's reader left is still done whole: it stopped after the
    # first files and exited 0 ("everything asked for was done")
    assert len(list((tmp_path / "json").iterdir())) == 4000
    for args, stream in ((["--json", "sync", "--delete", f"{tree}/", tmp_path / "sync/"], "stdout"),
                         (["-v", "cp", "-r", f"{tree}/", tmp_path / "verbose/"], "stderr")):
        p = subprocess.Popen([*dsctl, *map(str, args)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=REPO, env=env)
        getattr(p, stream).read(10)
        getattr(p, stream).close()
        assert p.wait(timeout=120) == 0, args
        assert len(list(args[-1].iterdir())) == 4000, args
