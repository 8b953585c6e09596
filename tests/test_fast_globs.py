"""Globs on S3 and Azure expand through dsctl's own listings (storage.globs) and must
match exactly what fsspec's glob (s3fs, adlfs; DSCTL_FAST=0) matches - on SeaweedFS
and Azurite - without importing s3fs, adlfs or an SDK."""

from __future__ import annotations

import pytest

from .cli import run
from .stores import store_in_env
from .test_perf_guards import SDKS, _importtime

TREE = {"g/a.txt": b"a", "g/b.txt": b"bb", "g/c.csv": b"ccc", "g/sub/d.txt": b"d",
        "g/sub/deep/e.txt": b"e", "g/sib/f.txt": b"f", "g/s[x]/g.txt": b"g", "h/x.txt": b"x"}
ALL = ["g/", "g/a.txt", "g/b.txt", "g/c.csv", "g/s[x]/", "g/s[x]/g.txt", "g/sib/", "g/sib/f.txt",
       "g/sub/", "g/sub/d.txt", "g/sub/deep/", "g/sub/deep/e.txt"]
TOP = ["g/a.txt", "g/b.txt", "g/c.csv", "g/s[x]/", "g/sib/", "g/sub/"]
EXPECTED = {   # what s3fs's glob matches (checked below on S3); `ls` marks directories with '/'
    "g/*.txt": ["g/a.txt", "g/b.txt"], "g/*": TOP, "g/*/": TOP, "g/**": ALL, "g/**/": ALL,
    "g/**/d.txt": ["g/sub/d.txt"],
    "g/**/*.txt": ["g/a.txt", "g/b.txt", "g/s[x]/g.txt", "g/sib/f.txt", "g/sub/d.txt", "g/sub/deep/e.txt"],
    "g/s?b/*": ["g/sib/f.txt", "g/sub/d.txt", "g/sub/deep/"], "g/[ab].txt": ["g/a.txt", "g/b.txt"],
    "g/su*/**": ["g/sub/", "g/sub/d.txt", "g/sub/deep/", "g/sub/deep/e.txt"],
    "g/*/*.txt": ["g/s[x]/g.txt", "g/sib/f.txt", "g/sub/d.txt"], "g/sub/*/e.txt": ["g/sub/deep/e.txt"],
    "*/x.txt": ["h/x.txt"],
}


@pytest.fixture(params=["s3", "az"])
def tree(request, tmp_path, monkeypatch):
    store = store_in_env(request.param, request, tmp_path, monkeypatch)
    store.put_many(TREE)
    return store


def test_fast_globs_match_what_fsspec_matches(tree):
    """The same matches on S3 and Azure, and on S3 the same `ls -l` as through s3fs.
    (adlfs leaves the directory itself out of `g/**`; s3fs and Python's glob keep it.)"""
    base = tree.url() + "/"   # a glob's matches are listed by URL
    for pattern, want in EXPECTED.items():
        r = run("ls", tree.url(pattern))
        assert r.code == 0 and [x.removeprefix(base) for x in r.lines] == want, (pattern, r)
        if tree.name == "s3":
            slow = run("ls", "-l", tree.url(pattern), env={"DSCTL_FAST": "0"})
            assert run("ls", "-l", tree.url(pattern)).lines == slow.lines, (pattern, slow)
    for fast in ({}, {"DSCTL_FAST": "0"}):
        r = run("ls", tree.url("g/*.nothing"), env=fast)
        assert r.code == 3 and r.lines == [], r


def test_glob_copy_and_rm_load_no_s3fs_or_adlfs(tree, tmp_path):
    env = {**tree.env, "DSCTL_CONFIG_DIR": str(tmp_path / "c")}
    p, mods = _importtime(["cp", "-r", tree.url("g/s*"), tmp_path / "out/"], env)
    assert p.returncode == 0, p.stderr[-2000:]
    got = {str(f.relative_to(tmp_path / "out")): f.read_bytes() for f in (tmp_path / "out").rglob("*")
           if f.is_file()}
    assert got == {"sub/d.txt": b"d", "sub/deep/e.txt": b"e", "sib/f.txt": b"f", "s[x]/g.txt": b"g"}
    p2, mods2 = _importtime(["rm", tree.url("g/*.txt")], env)
    assert p2.returncode == 0 and b"removed 2 files" in p2.stderr, p2.stderr[-2000:]
    assert "g/a.txt" not in tree.keys() and "g/c.csv" in tree.keys()
    loaded = {m.split(".")[0] for m in mods | mods2}
    assert not loaded & (set(SDKS) - {"obstore"}), sorted(loaded & set(SDKS))
