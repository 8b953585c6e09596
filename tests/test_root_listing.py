"""`ls s3://`, `ls gs://`, `ls az://`: the buckets or containers of the account, as
`aws s3 ls`, `s5cmd ls` and `rclone lsd remote:` show them - on the real servers."""

from __future__ import annotations

import json

import pytest

from .cli import run
from .stores import BUCKET, store_in_env
from .test_perf_guards import SDKS, _importtime


@pytest.mark.parametrize("kind", ["s3", "gs", "az"])
def test_ls_of_a_bare_scheme_lists_buckets(kind, request, tmp_path, monkeypatch):
    s = store_in_env(kind, request, tmp_path, monkeypatch)
    s.put("x.txt", b"x")   # the test bucket exists
    r = run("ls", f"{kind}://")
    assert r.code == 0, r
    assert f"{BUCKET}/" in r.lines and all(line.endswith("/") for line in r.lines), r
    r = run("--json", "ls", f"{kind}://")
    entry = next(json.loads(line) for line in r.lines if json.loads(line)["name"] == f"{BUCKET}/")
    assert entry["type"] == "directory" and entry["url"] == f"{kind}://{BUCKET}", entry
    r = run("ls", "-r", f"{kind}://")
    assert r.code == 2 and "needs a bucket" in r.err, r
    r = run("cp", "-r", f"{kind}://", tmp_path / "all")   # only ls takes the bare root
    assert r.code == 2 and "missing" in r.err, r


@pytest.mark.parametrize("kind", ["s3", "az"])
def test_bucket_listing_is_dsctls_own_and_checks_credentials(kind, request, tmp_path, monkeypatch):
    s = store_in_env(kind, request, tmp_path, monkeypatch)
    s.put("x.txt", b"x")
    env = {**s.env, "DSCTL_CONFIG_DIR": str(tmp_path / "c")}
    p, mods = _importtime(["ls", "-l", f"{kind}://"], env)
    assert p.returncode == 0, p.stderr[-2000:]
    line = next(x for x in p.stdout.decode().splitlines() if x.endswith(f" {BUCKET}/"))
    assert line.split()[1].startswith("20"), line   # creation / last-modified time
    assert not {m.split(".")[0] for m in mods} & set(SDKS), sorted(mods)
    if kind == "s3":
        bad = {**env, "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    else:
        bad = {**env, "AZURE_STORAGE_CONNECTION_STRING": env["AZURE_STORAGE_CONNECTION_STRING"].replace(
            "AccountKey=", "AccountKey=AAAA", 1)}
    p, _ = _importtime(["ls", f"{kind}://"], bad)
    assert p.returncode == 4, p.stderr[-2000:]
    assert b"not-the-secret" not in p.stderr
