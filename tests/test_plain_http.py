"""A web server without Range support (Python's `http.server`, the one people start with
`python -m http.server`), on 127.0.0.1: dsctl reads its files as one streamed GET,
takes sizes and times from HEAD where the index has none, and syncs from it."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading

import pytest

from .cli import run

BIG = 9 * 1024 * 1024 + 11   # more than one 8 MiB part


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "big.bin").write_bytes(os.urandom(BIG))
    (root / "small.txt").write_bytes(b"hello\n")
    (root / "sub").mkdir()
    (root / "sub" / "deep.txt").write_bytes(b"deep")
    with _serving(root) as url:
        yield root, url


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serving(root):
    """`python -m http.server` on 127.0.0.1 for `root`; its base URL."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()


def test_a_file_from_a_server_without_ranges_downloads_whole(site, tmp_path):
    root, url = site
    r = run("cp", f"{url}/big.bin", tmp_path / "big.bin")
    assert r.code == 0, r
    assert (tmp_path / "big.bin").read_bytes() == (root / "big.bin").read_bytes()
    r = run("cat", f"{url}/big.bin")
    assert r.code == 0 and r.out == (root / "big.bin").read_bytes(), r.err


def test_ls_l_shows_sizes_the_index_lacks(site):
    _, url = site
    r = run("ls", "-l", f"{url}/")
    assert r.code == 0, r
    rows = {line.split()[-1]: line.split()[0] for line in r.lines}
    assert rows == {"big.bin": str(BIG), "small.txt": "6", "sub/": "-"}, r.lines


def test_sync_from_a_server_without_ranges(site, tmp_path):
    root, url = site
    r = run("sync", f"{url}/", tmp_path / "mirror/")
    assert r.code == 0, r
    got = {str(p.relative_to(tmp_path / "mirror")): p.read_bytes()
           for p in (tmp_path / "mirror").rglob("*") if p.is_file()}
    assert got == {"big.bin": (root / "big.bin").read_bytes(), "small.txt": b"hello\n",
                   os.path.join("sub", "deep.txt"): b"deep"}
    r = run("sync", f"{url}/", tmp_path / "mirror/")   # the copies are newer: nothing to do
    assert r.code == 0 and "copied 0 files" in r.err, r


@pytest.fixture
def odd_site(tmp_path):
    """Files whose names need %-encoding in a URL: a literal '%20', a '#', a space."""
    root = tmp_path / "odd"
    root.mkdir()
    files = {"a%20b.txt": b"pct\n", "q#h.txt": b"hash\n", "with space.txt": b"space\n"}
    for name, data in files.items():
        (root / name).write_bytes(data)
    with _serving(root) as url:
        yield files, url


def test_names_that_need_encoding_over_http(odd_site, tmp_path):
    """check and sync --checksum rebuilt a file's URL from its decoded name ('a%20b.txt'
    asked the server for 'a b.txt': exit 3), and a single file copied into a directory
    kept its URL-encoded name ('with%20space.txt')."""
    files, url = odd_site
    r = run("cp", "-r", f"{url}/", tmp_path / "copy/")
    assert r.code == 0, r
    assert {p.name: p.read_bytes() for p in (tmp_path / "copy").iterdir()} == files
    r = run("check", f"{url}/", tmp_path / "copy/")
    assert r.code == 0, r
    r = run("sync", "--checksum", f"{url}/", tmp_path / "copy/")
    assert r.code == 0 and "skipped 3" in r.err, r
    for quoted, name in (("with%20space.txt", "with space.txt"), ("a%2520b.txt", "a%20b.txt"),
                         ("q%23h.txt", "q#h.txt")):
        r = run("cp", f"{url}/{quoted}", f"{tmp_path}/one/")
        assert r.code == 0, r
        assert (tmp_path / "one" / name).read_bytes() == files[name]
    # a glob's matches are named decoded too (they kept %20), and a URL's query is no
    # part of the file's name (a presigned signature was written into it)
    r = run("cp", f"{url}/with*", f"{tmp_path}/glob/")
    assert r.code == 0 and os.listdir(tmp_path / "glob") == ["with space.txt"], r
    r = run("cp", f"{url}/with%20space.txt?X-Amz-Signature=deadbeef", f"{tmp_path}/query/")
    assert r.code == 0 and os.listdir(tmp_path / "query") == ["with space.txt"], r


class _NoRedirect(_Quiet):
    """A server that answers `/dir` (no slash) with 404 instead of redirecting to `/dir/`."""

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path) and not self.path.split("?", 1)[0].endswith("/"):
            self.send_error(404)
            return None
        return super().send_head()


def test_a_directory_is_listed_by_its_url_with_the_slash(site, tmp_path):
    """dsctl dropped the '/' of `http://h/sub/` and relied on the server's redirect: a
    server that does not redirect could not be listed or copied (exit 3)."""
    root, _ = site
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_NoRedirect, directory=str(root)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        r = run("ls", f"{url}/sub/")
        assert r.code == 0 and r.lines == ["deep.txt"], r
        r = run("cp", "-r", f"{url}/sub/", f"{tmp_path}/out/")
        assert r.code == 0 and (tmp_path / "out" / "deep.txt").read_bytes() == b"deep", r
        r = run("ls", "-r", f"{url}/")
        assert r.code == 0 and "sub/deep.txt" in r.lines, r
    finally:
        srv.shutdown()
