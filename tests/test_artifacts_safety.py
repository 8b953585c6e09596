"""Artifact commands never lose a user's data, never hide an error and never trust a
damaged blob: a failed `get` leaves the destination as it was, `list` reports
denied/missing roots, `log` repairs a blob of the wrong size, and identical content
logged concurrently makes one version (SPEC sections 3 and 5)."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from .cli import run
from .test_artifacts import PINNED, _log, _root, _tamper, _uri


@pytest.fixture(params=["local", "s3"])
def root2(request, tmp_path, monkeypatch):
    """A fresh artifact root: the local default, or a prefix on the test S3 server."""
    return _root(request.param, request, tmp_path, monkeypatch)


def _blob(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files(top) -> dict[str, bytes]:
    """Every file below `top` (relative path -> bytes), hidden ones included."""
    return {str(p.relative_to(top)).replace(os.sep, "/"): p.read_bytes()
            for p in top.rglob("*") if p.is_file()}


def _tree(tmp_path, name="d"):
    d = tmp_path / name
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_bytes(b"a\n")
    (d / "sub" / "b.txt").write_bytes(b"b\n")
    (d / "z.txt").write_bytes(b"z\n")
    return d


# -- 1. a failed get keeps what the user had ---------------------------------------------


def test_failed_directory_get_keeps_existing_files_with_their_bytes(root2, tmp_path):
    """A get into a directory the user already had: every file there before keeps its
    original bytes, files the get added are gone, and no backup files are left."""
    uri = _uri(_log(_tree(tmp_path), "store://artifacts/p1/d"))
    _tamper(root2, "p1", _blob(b"b\n"), b"X\n")                     # same size, other bytes
    out = tmp_path / "out"
    (out / "d").mkdir(parents=True)
    (out / "d" / "a.txt").write_bytes(b"original\n")                 # the get would replace it
    (out / "d" / "mine.txt").write_bytes(b"mine\n")                  # not in the version
    before = _files(out)
    r = run("artifact", "get", uri, f"{out}/")
    assert r.code == 6 and "failed verification" in r.err, r
    assert "the destination is as it was" in r.err and "Traceback" not in r.err, r
    assert _files(out) == before                                     # bytes and names, no leftovers
    assert not (out / "d" / "sub").exists()                          # made by the failed get: removed

    _tamper(root2, "p1", _blob(b"b\n"), b"b\n")                      # repaired: the get now works
    r = run("artifact", "get", uri, f"{out}/")
    assert r.code == 0, r
    assert _files(out) == {"d/a.txt": b"a\n", "d/sub/b.txt": b"b\n", "d/z.txt": b"z\n",
                           "d/mine.txt": b"mine\n"}


def test_failed_get_into_a_new_directory_leaves_nothing(root2, tmp_path):
    uri = _uri(_log(_tree(tmp_path), "store://artifacts/p1/d"))
    _tamper(root2, "p1", _blob(b"z\n"), b"zzzz\n")                   # other size
    r = run("artifact", "get", uri, tmp_path / "fresh")
    assert r.code == 6 and "failed verification" in r.err, r
    assert not (tmp_path / "fresh").exists()


def test_failed_file_get_keeps_the_old_file(root2, tmp_path):
    f = tmp_path / "m.bin"
    f.write_bytes(b"model v1")
    uri = _uri(_log(f, "store://artifacts/p1/m"))
    _tamper(root2, "p1", _blob(b"model v1"), b"model vX")
    (tmp_path / "o").mkdir()
    dest = tmp_path / "o" / "dest.bin"
    dest.write_bytes(b"the user's own")
    r = run("artifact", "get", uri, dest)
    assert r.code == 6, r
    assert _files(tmp_path / "o") == {"dest.bin": b"the user's own"}      # no backup left either
    f.write_bytes(b"model v2")
    uri = _uri(_log(f, "store://artifacts/p1/m"))
    assert run("artifact", "get", uri, dest).code == 0
    assert _files(tmp_path / "o") == {"dest.bin": b"model v2"}


def test_failed_get_to_a_store_never_deletes_objects_that_were_there(request, tmp_path, monkeypatch):
    """A store destination: objects that existed are not deleted (one already
    overwritten keeps the verified new bytes, and the message says so); objects the
    get added are removed."""
    root = _root("s3", request, tmp_path, monkeypatch)
    s = root.store
    d = tmp_path / "d"
    d.mkdir()
    for i in range(6):
        (d / f"f{i}.txt").write_bytes(f"file {i}\n".encode())
    uri = _uri(_log(d, "store://artifacts/p1/d"))
    _tamper(root, "p1", _blob(b"file 5\n"), b"file X\n")
    s.put_many({"out/d/f0.txt": b"old 0\n", "out/d/mine.txt": b"mine\n"})
    r = run("artifact", "get", uri, s.url("out/"), "--jobs", "1")
    assert r.code == 6 and "failed verification" in r.err, r
    assert s.get("out/d/mine.txt") == b"mine\n"
    # one file at a time, in key order: f0 was verified and written before f5 failed;
    # it existed, so it is not deleted (it keeps the verified bytes) and the error says so
    assert s.get("out/d/f0.txt") == b"file 0\n"
    assert "1 existing file(s) were overwritten" in r.err, r
    for i in range(1, 6):                                             # what the get added: gone
        assert not s.exists(f"out/d/f{i}.txt"), i


# -- 2. artifact list reports a root it cannot read ---------------------------------------


def test_list_without_project_reports_missing_bucket_and_denied_access(request, tmp_path, monkeypatch):
    s = _root("s3", request, tmp_path, monkeypatch).store
    r = run("artifact", "list")                                        # a root not made yet: empty
    assert r.code == 0 and "no artifacts found" in r.err, r
    r = run("artifact", "--artifact-root", "s3://nosuchbucket-xa-dsctl/aroot", "list")
    assert r.code == 3 and r.err.startswith("dsctl: error:") and "Traceback" not in r.err, r
    assert "no artifacts found" not in r.err, r
    for args in (("list", "--project", "p"), ("show", "store://artifacts/p/k"),
                 ("get", "store://artifacts/p/k", "-")):   # said "no artifact 'k' in project 'p'"
        r = run("artifact", "--artifact-root", "s3://nosuchbucket-xa-dsctl/aroot", *args)
        assert r.code == 3 and "bucket or container not found" in r.err, (args, r)
    f = tmp_path / "a.txt"
    f.write_bytes(b"a")
    _log(f, "store://artifacts/p/k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "definitely-wrong-secret")
    r = run("artifact", "list")
    assert r.code == 4 and r.err.startswith("dsctl: error:") and "no artifacts found" not in r.err, r
    assert "definitely-wrong-secret" not in r.err
    assert s.exists("arts/p/keys/k/versions/00000001.json")


# -- 3. log repairs a blob of the wrong size ----------------------------------------------


def test_log_restores_a_blob_whose_size_is_wrong(root2, tmp_path):
    f = tmp_path / "w.bin"
    f.write_bytes(b"weights\n")
    _log(f, "store://artifacts/p3/w")
    digest = _blob(b"weights\n")
    _tamper(root2, "p3", digest, b"damaged and longer\n")
    r = _log(f, "store://artifacts/p3/w", "--force")                  # a new version of the same bytes
    v2 = _uri(r)
    assert v2.startswith("store://artifacts/p3/w#2@"), r
    for uri in (v2, "store://artifacts/p3/w#1"):                      # both readable again
        r = run("artifact", "get", uri, "-")
        assert r.code == 0 and r.out == b"weights\n", r
    assert root2.store.get(root2.rel("p3", f"objects/sha256/{digest[:2]}/{digest}")) == b"weights\n"

    d = _tree(tmp_path)                                               # a directory member and the manifest
    _log(d, "store://artifacts/p3/d")
    _tamper(root2, "p3", _blob(b"b\n"), b"")
    manifest = json.loads(run("--json", "artifact", "show", "store://artifacts/p3/d").out)["hash"][7:]
    _tamper(root2, "p3", manifest, b"{}")
    _log(d, "store://artifacts/p3/d2")
    r = run("artifact", "get", "store://artifacts/p3/d2", tmp_path / "got")
    assert r.code == 0, r
    assert _files(tmp_path / "got") == {"a.txt": b"a\n", "sub/b.txt": b"b\n", "z.txt": b"z\n"}


def test_logging_the_same_bytes_again_mends_a_damaged_version(root2, tmp_path):
    """'unchanged: identical to version 1' used to return before looking at the blobs,
    so re-logging - what a user tries first - left the version unreadable."""
    d = _tree(tmp_path)
    uri = _uri(_log(d, "store://artifacts/p5/d"))
    _tamper(root2, "p5", _blob(b"b\n"), b"CORRUPTED\n")
    assert run("artifact", "get", uri, tmp_path / "bad").code == 6
    r = _log(d, "store://artifacts/p5/d")
    assert "unchanged" in r.err, r                                    # still no new version
    r = run("artifact", "get", uri, tmp_path / "good")
    assert r.code == 0, r
    assert _files(tmp_path / "good") == {"a.txt": b"a\n", "sub/b.txt": b"b\n", "z.txt": b"z\n"}


def test_log_does_not_upload_a_blob_of_the_right_size_again(root2, tmp_path):
    f = tmp_path / "w.bin"
    f.write_bytes(b"weights\n")
    _log(f, "store://artifacts/p3/w")
    r = run("--json", "artifact", "log", f, "store://artifacts/p3/other")
    assert r.code == 0, r
    events = [json.loads(x) for x in r.lines]
    assert [e["event"] for e in events if e["event"] in ("copied", "skipped")] == ["skipped"], events


# -- 4. identical content logged concurrently: one version --------------------------------


def test_identical_content_logged_concurrently_makes_one_version(tmp_path, monkeypatch):
    """The other log claims version 1 between this log's check of the latest version
    and its claim (simulated: the check sees no versions): this log must find that
    version 1 holds the same content and create nothing."""
    from dsctl.artifacts import history

    monkeypatch.setenv("DSCTL_ARTIFACT_ROOT", str(tmp_path / "root"))
    f = tmp_path / "a.txt"
    f.write_bytes(b"same")
    v1 = _uri(_log(f, "store://artifacts/p/k"))
    real, calls = history.History.versions, []

    def raced(self):
        calls.append(1)
        return [] if len(calls) == 1 else real(self)   # the latest check: before the other log's claim

    monkeypatch.setattr(history.History, "versions", raced)
    r = _log(f, "store://artifacts/p/k")
    assert _uri(r) == v1 and "unchanged" in r.err, r
    monkeypatch.setattr(history.History, "versions", real)
    assert sorted(os.listdir(tmp_path / "root" / "p" / "keys" / "k" / "versions")) == ["00000001.json"]
    r = _log(f, "store://artifacts/p/k", "--force")                 # --force still stores one
    assert PINNED.match(_uri(r)).group(4) == "2"
