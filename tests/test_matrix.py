"""Every source store x every writable destination store: bytes must match."""

from __future__ import annotations

import os

import pytest

from .cli import run
from .stores import ALL, WRITABLE, make_store

SMALL = b"small object \xe2\x98\x83\n" * 3
LARGE = os.urandom(9 * 1024 * 1024 + 7)  # more than one 8 MiB part


@pytest.fixture(scope="module")
def _large():
    return LARGE


@pytest.mark.parametrize("dst_name", WRITABLE)
@pytest.mark.parametrize("src_name", ALL)
def test_cross_store_copy(src_name, dst_name, request, tmp_path, monkeypatch):
    (tmp_path / "s").mkdir()
    (tmp_path / "d").mkdir()
    src = make_store(src_name, request, tmp_path / "s")
    dst = make_store(dst_name, request, tmp_path / "d")
    for k, v in {**src.env, **dst.env}.items():
        monkeypatch.setenv(k, v)
    src.put_many({"x/small.txt": SMALL, "x/large.bin": LARGE})
    r = run("cp", "-r", src.url("x/"), dst.url("y/"))
    assert r.code == 0, r
    assert dst.get("y/small.txt") == SMALL
    assert dst.get("y/large.bin") == LARGE
    r = run("cp", src.url("x/small.txt"), dst.url("single.txt"))
    assert r.code == 0 and dst.get("single.txt") == SMALL, r
