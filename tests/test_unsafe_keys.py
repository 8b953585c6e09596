"""A download whose listing contains keys that must never become local paths.

SeaweedFS refuses such keys, so this uses moto (`moto_server`), which stores
every one of them verbatim; s3fs lists them verbatim too (checked below, so a
change in either shows up as a clear failure rather than a silent pass).

dsctl must write the safe keys, refuse each unsafe key with one
`dsctl: error: ... (<url naming the key>)` line, write nothing outside DEST
(nor, through normalisation, anywhere inside it), print no traceback, and exit
1 (some items failed, others succeeded).
"""

from __future__ import annotations

import json
import os
import uuid

import boto3
import pytest
import s3fs

from .cli import run

SAFE = {
    "data/ok.txt": b"ok\n",
    "data/sub/fine.txt": b"fine\n",
    "data/c:o.txt": b"colon\n",              # a drive letter only on Windows: a name here
    "data/x:": b"x-colon\n",
}
UNSAFE = {
    "data/../evil.txt": b"EVIL-1",            # '..' segment
    "data/../../evil2.txt": b"EVIL-2",        # two '..' segments: escapes DEST's parent
    "data//empty-seg.txt": b"EVIL-3",         # empty segment (a leading '/' once relative)
    "data/a\\b.txt": b"EVIL-4",               # backslash: a separator on Windows
    "data/./dot.txt": b"EVIL-5",              # '.' segment
}
EVIL_BYTES = set(UNSAFE.values())


@pytest.fixture
def bucket(moto_server, monkeypatch):
    """A fresh bucket on moto holding SAFE and UNSAFE keys; env set for dsctl."""
    name = "unsafe-" + uuid.uuid4().hex[:12]
    client = boto3.client("s3", endpoint_url=moto_server.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="y")
    client.create_bucket(Bucket=name)
    for key, body in {**SAFE, **UNSAFE}.items():
        client.put_object(Bucket=name, Key=key, Body=body)
    # What the server really stored: every key verbatim, no normalisation.
    stored = [o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"]]
    assert sorted(stored) == sorted({**SAFE, **UNSAFE}), stored
    # What s3fs (dsctl's client) lists: also verbatim.
    fs = s3fs.S3FileSystem(key="x", secret="y", endpoint_url=moto_server.endpoint_url,
                           skip_instance_cache=True)
    listed = fs.find(f"{name}/data")
    assert sorted(listed) == sorted(f"{name}/{k}" for k in {**SAFE, **UNSAFE}), listed
    for k, v in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y",
                 "AWS_ENDPOINT_URL": moto_server.endpoint_url}.items():
        monkeypatch.setenv(k, v)
    return name


def _tree(root) -> dict[str, bytes]:
    """Every file below root (relative path -> bytes); symlinks are reported too."""
    out = {}
    for d, dirs, names in os.walk(root):
        for n in names + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root)] = open(p, "rb").read() if os.path.isfile(p) else b"<link>"
    return out


def _local(keys: dict[str, bytes], drop: str) -> dict[str, bytes]:
    """The local files the keys become, `drop` removed from their front."""
    return {os.path.join(*k.removeprefix(drop).split("/")): v for k, v in keys.items()}


def _check_refusals(r, bucket: str) -> None:
    assert "Traceback" not in r.err, r
    errors = [line for line in r.err.splitlines() if line.startswith("dsctl: error: ")]
    for key in UNSAFE:
        url = f"s3://{bucket}/{key}"
        hits = [line for line in errors if url in line]
        assert len(hits) == 1, f"expected one error line naming {url!r}; got {errors}\n{r!r}"
    for key in SAFE:
        assert not any(f"s3://{bucket}/{key}" in line for line in errors), (key, errors)
    # Each error is one line; the summary line counts the failures.
    assert f"failed {len(UNSAFE)}" in r.err, r


def _check_nothing_escaped(tmp_path, dest, expected: dict[str, bytes]) -> None:
    # DEST holds exactly the safe files (no normalised '../evil.txt' landing inside it either).
    assert _tree(dest) == expected
    # Nowhere else below tmp_path (which contains DEST's parent and grand-parent).
    everything = _tree(tmp_path)
    prefix = os.path.relpath(dest, tmp_path)
    outside = {k: v for k, v in everything.items() if not k.startswith(prefix + os.sep)}
    assert outside == {}, f"files written outside DEST: {sorted(outside)}"
    # And none of the evil payloads anywhere.
    assert not EVIL_BYTES & set(everything.values())


def test_download_refuses_unsafe_keys(bucket, tmp_path):
    # DEST sits two levels down so that '..' and '../..' would both land inside tmp_path.
    dest = tmp_path / "a" / "b" / "dest"
    r = run("download", f"s3://{bucket}/data", dest)
    assert r.code == 1, r
    _check_refusals(r, bucket)
    assert f"downloaded {len(SAFE)} files" in r.err, r
    # download s3://b/data DIR keeps the prefix's name: DIR/data/...
    _check_nothing_escaped(tmp_path, dest, _local(SAFE, ""))


def test_cp_recursive_refuses_unsafe_keys(bucket, tmp_path):
    dest = tmp_path / "a" / "b" / "dest"
    r = run("cp", "-r", f"s3://{bucket}/data/", f"{dest}/")
    assert r.code == 1, r
    _check_refusals(r, bucket)
    assert f"copied {len(SAFE)} files" in r.err, r
    # src/ (trailing slash) copies the contents: DEST/ok.txt, DEST/sub/fine.txt
    _check_nothing_escaped(tmp_path, dest, _local(SAFE, "data/"))


def test_json_events_name_each_refused_key(bucket, tmp_path):
    """--json: one 'failed' event per unsafe key with the key's URL as src."""
    dest = tmp_path / "a" / "b" / "dest"
    r = run("--json", "download", f"s3://{bucket}/data", dest)
    assert r.code == 1, r
    events = [json.loads(line) for line in r.lines]
    failed = {e["src"] for e in events if e["event"] == "failed"}
    copied = {e["src"] for e in events if e["event"] == "copied"}
    assert failed == {f"s3://{bucket}/{k}" for k in UNSAFE}, events
    assert copied == {f"s3://{bucket}/{k}" for k in SAFE}, events
    assert all(e.get("error") for e in events if e["event"] == "failed"), events
    assert events[-1]["event"] == "summary" and events[-1]["failed"] == len(UNSAFE), events
    _check_nothing_escaped(tmp_path, dest, _local(SAFE, ""))
