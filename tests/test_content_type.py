"""Uploads carry a Content-Type guessed from the name, as `aws s3 cp/sync` and rclone
set it: a site synced to a bucket must be served as pages and JSON, not downloads.
Small objects (one PUT) and multipart ones, on the fast path and through fsspec."""

from __future__ import annotations

import json
import os

import pytest

from .cli import run
from .stores import store_in_env

BIG = 9 * 1024 * 1024 + 5   # more than one 8 MiB part


@pytest.fixture(params=["s3", "az", "gs"])
def store(request, tmp_path, monkeypatch):
    return store_in_env(request.param, request, tmp_path, monkeypatch)


def _type(store, rel: str) -> str | None:
    store.fs.invalidate_cache()
    info = store.fs.info(f"{store.fs_base}/{rel}")
    t = info.get("ContentType") or info.get("contentType") or (info.get("content_settings") or {}).get(
        "content_type")
    return t.split(";")[0] if t else None


@pytest.mark.parametrize("fast", ["1", "0"])
def test_uploads_get_the_type_their_name_says(store, tmp_path, fast):
    """fast=0: the fsspec data path (S3 and Azure credentials obstore cannot take; GCS
    always)."""
    src = tmp_path / "site"
    src.mkdir()
    (src / "index.html").write_bytes(b"<h1>hi</h1>\n")
    (src / "a.json").write_bytes(b"{}\n")            # SeaweedFS alone calls it text/plain
    (src / "big.csv").write_bytes(os.urandom(BIG))
    r = run("cp", "-r", f"{src}/", store.url("s/"), env={"DSCTL_FAST": fast})
    assert r.code == 0, r
    assert {k: _type(store, f"s/{k}") for k in ("index.html", "a.json", "big.csv")} == {
        "index.html": "text/html", "a.json": "application/json", "big.csv": "text/csv"}


def test_stat_json_names_the_type_alike_on_every_store(store, tmp_path):
    """`stat --json` said "contenttype" on gs, "content_type" on Azure and nothing on S3."""
    (tmp_path / "d.json").write_bytes(b"{}")
    assert run("cp", tmp_path / "d.json", store.url("t/d.json")).code == 0
    r = run("--json", "stat", store.url("t/d.json"))
    assert r.code == 0, r
    meta = json.loads(r.out)
    assert meta["content_type"].split(";")[0] == "application/json", meta
    assert meta["etag"] and meta["size"] == 2, meta
    if store.name in ("gs", "az"):   # both keep the body's MD5 (base64), each under its own name
        import base64
        import hashlib

        assert meta["md5"] == base64.b64encode(hashlib.md5(b"{}").digest()).decode(), meta
