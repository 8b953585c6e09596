"""Startup stays cheap: no cloud SDK is imported until a URL needs it.

Each command runs as `python -X importtime -m dsctl ...`; CPython then writes one
`import time: ... | <module>` line per import to stderr, which we parse. Note that
importtime also logs import *attempts* that fail (`try: import x`), so a module
listed here was at least looked for; for installed packages that means imported.

Wall times are printed for the record (visible in the normal test output), never
asserted: they depend on the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from dsctl import __version__

from .cli import REPO

CLOUD = ("boto3", "botocore", "aiobotocore", "s3fs", "gcsfs", "adlfs", "azure", "google", "aiohttp")
COMMANDS = ("cp", "ls", "cat", "stat", "rm", "upload", "download", "completion")


def _env(tmp_path, extra: dict | None = None) -> dict:
    env = dict(os.environ)
    for k in ("PYTHONPROFILEIMPORTTIME", "PYTHONSTARTUP", "PYTHONINSPECT", "DSCTL_PROFILE", "DSCTL_DEBUG"):
        env.pop(k, None)
    env["DSCTL_CONFIG_DIR"] = str(tmp_path / "config")   # never the developer's profiles
    env.update(extra or {})
    return env


def _run(args, tmp_path, *, importtime: bool, extra_env: dict | None = None, timeout: float = 60):
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "dsctl", *args]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, env=_env(tmp_path, extra_env), cwd=REPO,
                       timeout=timeout)
    return p, time.perf_counter() - t0


def _split_stderr(stderr: bytes) -> tuple[set[str], list[str]]:
    """(root names of every module imported, the other stderr lines)."""
    roots, rest = set(), []
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.startswith("import time:"):
            name = line.rsplit("|", 1)[-1].strip()
            if name and name != "imported package":   # skip the header line
                roots.add(name.split(".", 1)[0])
        else:
            rest.append(line)
    return roots, rest


def _record(capsys, label: str, seconds: list[float]) -> None:
    with capsys.disabled():
        print(f"\n[startup wall time] dsctl {label}: best {min(seconds):.3f}s of "
              f"{len(seconds)} runs ({', '.join(f'{s:.3f}' for s in seconds)})")


@pytest.fixture
def listing_dir(tmp_path):
    d = tmp_path / "listing"
    d.mkdir()
    (d / "alpha.txt").write_bytes(b"a" * 10)
    (d / "beta.csv").write_bytes(b"x,y\n1,2\n")
    return d


def _case(name, listing_dir):
    if name == "--version":
        return ["--version"], CLOUD + ("fsspec", "rich")
    if name == "--help":
        return ["--help"], CLOUD + ("fsspec", "rich")
    return ["ls", str(listing_dir)], CLOUD


def _check_output(name, p, listing_dir):
    out = p.stdout.decode("utf-8", "replace")
    if name == "--version":
        assert out.strip() == f"dsctl {__version__}", out
    elif name == "--help":
        assert "Commands:" in out, out
        listed = {line.split()[0] for line in out.split("Commands:", 1)[1].splitlines() if line.strip()}
        missing = set(COMMANDS) - listed
        assert not missing, f"--help does not list {sorted(missing)}:\n{out}"
    else:
        entries = [line.rstrip("/").rsplit("/", 1)[-1] for line in out.splitlines() if line.strip()]
        assert sorted(entries) == ["alpha.txt", "beta.csv"], out


@pytest.mark.parametrize("name", ["--version", "--help", "ls"])
def test_startup_imports_no_heavy_sdk(name, tmp_path, listing_dir, capsys):
    args, forbidden = _case(name, listing_dir)
    p, _ = _run(args, tmp_path, importtime=True)
    roots, rest = _split_stderr(p.stderr)
    assert p.returncode == 0, (p.returncode, p.stdout, "\n".join(rest))
    assert "dsctl" in roots, "importtime output not found on stderr; cannot check imports"
    assert not [line for line in rest if line.strip()], f"unexpected stderr: {rest}"
    _check_output(name, p, listing_dir)
    imported = sorted(set(forbidden) & roots)
    assert not imported, f"`dsctl {' '.join(args)}` imported {imported} at startup"

    # For the record only: wall time without -X importtime (its own overhead is large).
    times = []
    for _ in range(3):
        q, seconds = _run(args, tmp_path, importtime=False)
        assert q.returncode == 0, q
        times.append(seconds)
    _record(capsys, " ".join(["ls", "<tmp dir>"] if name == "ls" else args), times)


@pytest.mark.timeout(180)
def test_s3_url_imports_only_the_s3_stack(tmp_path, capsys):
    """An s3:// command loads its S3 stack (dsctl's own S3 client and obstore, or s3fs when
    the fast path is off) but no other cloud SDK, and an unreachable endpoint is a one-line
    transient error (exit 5) once retries give up."""
    secret = "dsctl-startup-test-secret-value"
    env = {"AWS_ACCESS_KEY_ID": "AKIADSCTLSTARTUPTEST", "AWS_SECRET_ACCESS_KEY": secret,
           "AWS_ENDPOINT_URL": "http://127.0.0.1:9",   # discard port: connection refused
           "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials")}
    p, seconds = _run(["ls", "s3://no-such-bucket-xyz/"], tmp_path, importtime=True,
                      extra_env=env, timeout=150)
    with capsys.disabled():
        print(f"\n[startup wall time] dsctl ls s3://<closed endpoint> (with -X importtime): "
              f"{seconds:.2f}s until exit {p.returncode}")
    roots, rest = _split_stderr(p.stderr)
    rest = [line for line in rest if line.strip()]

    raw = p.stderr.decode("utf-8", "replace")
    assert "s3fs" in roots or "dsctl.storage.s3client" in raw, "s3:// loaded no S3 client"
    imported = sorted({"gcsfs", "adlfs", "azure", "google"} & roots)
    assert not imported, f"an s3:// command imported {imported}"

    assert p.returncode == 5, (p.returncode, rest)
    assert rest, "no error message on stderr"
    assert not any("Traceback" in line for line in rest), "\n".join(rest)
    assert len(rest) == 1, "expected a one-line error, got:\n" + "\n".join(rest)
    assert rest[-1].startswith("dsctl: error: "), rest
    assert "s3://no-such-bucket-xyz" in rest[-1], rest   # SPEC 3: `<what> (<url>)`
    assert secret not in p.stderr.decode("utf-8", "replace")
    assert not p.stdout.strip(), p.stdout
