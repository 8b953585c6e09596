"""On object stores `p` and `p/` may both exist: an object named `p` and keys below
`p/`. A URL ending in '/' names the prefix (SPEC section 1) in every command - `rm -r
p/` once deleted the object `p` and left the prefix - and `rm -r` removes what other
tools leave behind for folders (S3 `dir/` marker objects)."""

from __future__ import annotations

import boto3
import pytest

from .cli import run
from .stores import BUCKET, store_in_env


@pytest.fixture(params=["s3", "az"])
def store(request, tmp_path, monkeypatch):
    return store_in_env(request.param, request, tmp_path, monkeypatch)


def test_a_trailing_slash_names_the_prefix_beside_an_object_of_that_name(store, tmp_path):
    # One at a time: SeaweedFS (a filer: a key is a file or a directory) sometimes kept
    # only one of `col` and `col/x` when the two PUTs raced (put_many is concurrent)
    for key, data in {"r/a": b"object", "r/a/b": b"B", "r/a/c": b"C", "col": b"o", "col/x": b"X"}.items():
        store.put(key, data)
    assert store.keys() == {"r/a", "r/a/b", "r/a/c", "col", "col/x"}
    r = run("-v", "rm", "-r", "--dry-run", store.url("r/a/"))
    assert r.code == 0 and r.out.decode().split() == [
        "would", "remove", store.url("r/a/b"), "would", "remove", store.url("r/a/c")], r
    r = run("rm", "-r", store.url("r/a/"))
    assert r.code == 0 and "removed 2 files" in r.err, r
    assert store.keys() == {"r/a", "col", "col/x"}
    # sync and check read `col/` as the prefix too (they said "not single files", exit 2)
    r = run("sync", store.url("col/"), tmp_path / "out")
    assert r.code == 0, r
    assert (tmp_path / "out" / "x").read_bytes() == b"X"
    assert run("check", store.url("col/"), tmp_path / "out").code == 0


def test_rm_of_a_double_star_glob_removes_each_file_once(store, tmp_path):
    store.put_many({"g/a": b"a", "g/s/b": b"b", "g/s/t/c": b"c", "h": b"h"})
    r = run("rm", "-r", "--dry-run", store.url("g/**"))
    assert r.code == 0 and len(r.lines) == 3 and "would remove 3 files" in r.err, r
    r = run("rm", "-r", store.url("g/**"))
    assert r.code == 0 and "removed 3 files" in r.err, r
    assert store.keys() == {"h"}


def test_local_rm_of_a_double_star_glob(tmp_path):
    d = tmp_path / "d"
    (d / "s" / "t").mkdir(parents=True)
    for p in ("a", "s/b", "s/t/c"):
        (d / p).write_bytes(b"x")
    r = run("rm", "-r", f"{d}/**")
    assert r.code == 0 and "removed 3 files" in r.err, r   # was: exit 3 "not found (…/**)"


def test_rm_r_removes_s3_folder_markers(s3_server, request, tmp_path, monkeypatch):
    """Zero-byte `dir/` keys (the AWS console's "Create folder", many tools) kept an
    emptied folder listed, and no dsctl command could remove them."""
    s3 = store_in_env("s3", request, tmp_path, monkeypatch)
    client = boto3.client("s3", endpoint_url=s3_server.endpoint_url, region_name="us-east-1",
                          aws_access_key_id=s3_server.admin_key,
                          aws_secret_access_key=s3_server.admin_secret)
    prefix = s3.url().split(f"{BUCKET}/", 1)[1]
    for key in ("mk/", "mk/empty/", "mk/dir/", "mk/dir/f.txt"):
        client.put_object(Bucket=BUCKET, Key=f"{prefix}/{key}", Body=b"" if key.endswith("/") else b"f")
    r = run("rm", "-r", s3.url("mk/"))
    assert r.code == 0 and "removed 4 files" in r.err, r
    left = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/").get("Contents", [])
    assert left == [], left


def test_sync_delete_removes_the_s3_markers_of_what_it_emptied(s3_server, request, tmp_path,
                                                               monkeypatch):
    s3 = store_in_env("s3", request, tmp_path, monkeypatch)
    client = boto3.client("s3", endpoint_url=s3_server.endpoint_url, region_name="us-east-1",
                          aws_access_key_id=s3_server.admin_key,
                          aws_secret_access_key=s3_server.admin_secret)
    prefix = s3.url().split(f"{BUCKET}/", 1)[1]
    for key in ("m/keep.txt", "m/gone/", "m/gone/x.txt", "m/gone/deep/", "m/gone/deep/y.txt",
                "m/live/", "m/live/k.txt", "m/live/old.txt"):
        client.put_object(Bucket=BUCKET, Key=f"{prefix}/{key}", Body=b"" if key.endswith("/") else b"f")
    src = tmp_path / "src"
    (src / "live").mkdir(parents=True)
    (src / "keep.txt").write_bytes(b"f")
    (src / "live" / "k.txt").write_bytes(b"f")
    r = run("sync", "--delete", f"{src}/", s3.url("m/"))
    assert r.code == 0, r
    left = sorted(o["Key"][len(prefix) + 1:] for o in
                  client.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/").get("Contents", []))
    assert left == ["m/keep.txt", "m/live/", "m/live/k.txt"], left

