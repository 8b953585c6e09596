"""Performance regression guards that are not timings.

What makes dsctl fast is structural, so these tests pin the structure:
  * start-up: `--version`, `--help` and a local `ls` import no cloud SDK and not
    obstore; an S3 copy on the fast path imports neither s3fs nor botocore;
  * requests: a counting proxy between dsctl and SeaweedFS checks that a
    multipart upload is exactly CreateMultipartUpload + one UploadPart per part
    + Complete, that a failed one is aborted, that small files cost one request
    each, that a large download is one ranged GET per part, and that a
    recursive listing is consumed page by page (streamed, not collected);
  * memory: a 512 MiB copy reserves at most the budget and k parts, and its
    process stays under 150 MB of resident memory;
  * part sizes grow so that no object needs more than 10,000 parts.
Wall-clock comparisons live in bench/run.py.
"""

from __future__ import annotations

import http.client
import http.server
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import urllib.parse
import uuid
from pathlib import Path

import pytest

from dsctl.engine.copy import MAX_PARTS, part_size_for
from dsctl.storage import fast

from .cli import REPO, run
from .markers import needs_splice
from .stores import BUCKET, make_store

MiB = 1024 * 1024
SDKS = ("boto3", "botocore", "aiobotocore", "s3fs", "gcsfs", "adlfs", "azure", "google", "aiohttp",
        "obstore")


# -- start-up ------------------------------------------------------------------------------

def _importtime(args, env: dict) -> tuple[subprocess.CompletedProcess, set[str]]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPROFILEIMPORTTIME", "DSCTL_"))}
    full.update(env)
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "dsctl", *map(str, args)],
                       capture_output=True, env=full, cwd=REPO, timeout=120)
    mods = set()
    for line in p.stderr.decode("utf-8", "replace").splitlines():
        if line.startswith("import time:") and "|" in line:
            mods.add(line.rsplit("|", 1)[-1].strip())
    return p, mods


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["ls", "{dir}"], ["ls", "-r", "-l", "{dir}"]])
def test_startup_commands_import_no_sdk_and_not_obstore(args, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("a")
    args = [a.replace("{dir}", str(tmp_path / "d")) for a in args]
    p, mods = _importtime(args, {"DSCTL_CONFIG_DIR": str(tmp_path / "cfg")})
    assert p.returncode == 0, p.stderr[-2000:]
    roots = {m.split(".")[0] for m in mods}
    assert not roots & set(SDKS), sorted(roots & set(SDKS))


@pytest.mark.parametrize("size", [1000, 300_000])
def test_fast_s3_copy_imports_neither_s3fs_nor_botocore(s3_server, tmp_path, size):
    # up to s3client.PUT_MAX (256 KiB) one PUT from dsctl's own client, larger via obstore
    store = make_store("s3", _Req(s3_server), tmp_path)
    src = tmp_path / "f.bin"
    src.write_bytes(os.urandom(size))
    p, mods = _importtime(["cp", src, store.url("f.bin")], {**store.env, "DSCTL_CONFIG_DIR": str(tmp_path / "c")})
    assert p.returncode == 0, p.stderr[-2000:]
    roots = {m.split(".")[0] for m in mods}
    assert ("obstore" in roots) == (size > 256 * 1024), roots
    assert not roots & {"s3fs", "botocore", "aiobotocore", "boto3", "aiohttp", "fsspec"}, roots
    assert store.get("f.bin") == src.read_bytes()


def test_no_clobber_onto_one_s3_key_checks_it_without_s3fs(s3_server, tmp_path):
    """`cp -n file s3://b/key` asks whether the key exists with dsctl's own HEAD."""
    store = make_store("s3", _Req(s3_server), tmp_path)
    src = tmp_path / "f.txt"
    env = {**store.env, "DSCTL_CONFIG_DIR": str(tmp_path / "c")}
    for data, want in ((b"first", b"copied 1 file"), (b"second", b"skipped 1")):
        src.write_bytes(data)
        p, mods = _importtime(["cp", "-n", src, store.url("k.txt")], env)
        assert p.returncode == 0 and want in p.stderr, p.stderr[-2000:]
        assert not {m.split(".")[0] for m in mods} & {"s3fs", "botocore", "aiobotocore", "fsspec"}
    assert store.get("k.txt") == b"first"


def test_s3_prefix_download_imports_no_http_client_or_logging(s3_server, tmp_path):
    """A listing and a large ranged download, and still none of the stdlib modules that
    cost start-up without being needed: http.client (and the email package it loads),
    concurrent.futures (and logging), hashlib/hmac (OpenSSL's libcrypto: requests are
    signed on the built-in SHA-256) and random."""
    store = make_store("s3", _Req(s3_server), tmp_path)
    data = os.urandom(20 * MiB + 5)
    store.put_many({"p/big.bin": data, "p/small.txt": b"s"})
    p, mods = _importtime(["cp", "-r", store.url("p/"), f"{tmp_path}/out/"],
                          {**store.env, "DSCTL_CONFIG_DIR": str(tmp_path / "c")})
    assert p.returncode == 0, p.stderr[-2000:]
    assert (tmp_path / "out" / "big.bin").read_bytes() == data
    assert not mods & {"http.client", "email", "concurrent.futures", "logging",
                       "hashlib", "hmac", "_hashlib", "random"}, sorted(mods)


def test_small_s3_downloads_never_load_obstore(s3_server, tmp_path):
    """Small objects are listed and fetched by dsctl's S3 client alone."""
    store = make_store("s3", _Req(s3_server), tmp_path)
    files = {f"few/f{i}.txt": f"small {i}".encode() for i in range(5)}
    store.put_many(files)
    p, mods = _importtime(["cp", "-r", store.url("few/"), f"{tmp_path}/out/"],
                          {**store.env, "DSCTL_CONFIG_DIR": str(tmp_path / "c")})
    assert p.returncode == 0, p.stderr[-2000:]
    assert {f"few/{q.name}": q.read_bytes() for q in (tmp_path / "out").iterdir()} == files
    assert not {m.split(".")[0] for m in mods} & set(SDKS), sorted(mods)


@needs_splice
def test_large_s3_download_over_plain_http_never_loads_obstore(s3_server, tmp_path):
    """One object from a plain-http endpoint: a HEAD by dsctl's S3 client, the ranges
    spliced into the file - obstore's import and store build (~10 ms) are never paid."""
    store = make_store("s3", _Req(s3_server), tmp_path)
    data = os.urandom(20 * MiB + 5)
    store.put("one/big.bin", data)
    p, mods = _importtime(["cp", store.url("one/big.bin"), tmp_path / "big.bin"],
                          {**store.env, "DSCTL_CONFIG_DIR": str(tmp_path / "c")})
    assert p.returncode == 0, p.stderr[-2000:]
    assert (tmp_path / "big.bin").read_bytes() == data
    assert not {m.split(".")[0] for m in mods} & set(SDKS), sorted(mods)


def test_s3_ls_is_one_delimited_listing_without_s3fs(proxied, tmp_path):
    """`ls s3://b/p/` on the fast path: one ListObjectsV2 with delimiter=/ (no HEAD, no
    probe), sub-prefixes shown as directories, and no s3fs/botocore import (~0.7 s)."""
    store, proxy = proxied
    store.put_many({"p/b.txt": b"bb", "p/a.txt": b"a", "p/sub/c.txt": b"c", "p/sub/d/e.txt": b"e"})
    p, mods = _importtime(["ls", store.url("p/")], {"DSCTL_CONFIG_DIR": str(tmp_path / "c")})
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.decode().splitlines() == ["a.txt", "b.txt", "sub/"]
    lists = [q for m, q in proxy.requests if m == "GET" and "list-type=2" in q]
    assert len(lists) == 1 and "delimiter=%2F" in lists[0], proxy.requests
    assert proxy.count("HEAD") == 0, proxy.requests
    roots = {m.split(".")[0] for m in mods}
    assert not roots & {"s3fs", "botocore", "aiobotocore", "fsspec"}, sorted(roots)


class _Req:
    """A minimal stand-in for pytest's request, for make_store with a server at hand."""

    def __init__(self, s3_server):
        self.s3_server = s3_server

    def getfixturevalue(self, name):
        assert name == "s3_server"
        return self.s3_server


# -- part sizes ----------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, 5 * MiB, 8 * MiB, 8 * MiB + 1, 75 * 1024 * MiB,
                                  80 * 1024 * MiB, 1024 ** 4, 5 * 1024 ** 4])
def test_part_size_grows_to_stay_under_10000_parts(size):
    part = part_size_for(size, 8 * MiB)
    assert part >= 8 * MiB and part % MiB == 0
    assert math.ceil(size / part) <= MAX_PARTS < 10_000


# -- a counting proxy ------------------------------------------------------------------------

class CountingProxy:
    """A transparent HTTP/1.1 forwarder on 127.0.0.1 that records every request.

    The Host header is passed through untouched, so SigV4 signatures made for the
    proxy's address stay valid upstream. Fault injection: `fail(method, path)` may
    return a status to answer instead of forwarding; `cut(method, path)` may return a
    byte count after which the answer's body stops and the connection is dropped."""

    def __init__(self, upstream: str):
        u = urllib.parse.urlsplit(upstream)
        self.upstream = (u.hostname, u.port)
        self.requests: list[tuple[str, str]] = []
        self.ranges: list[str] = []      # the Range header of every ranged GET, in order
        self.fail = lambda method, path: None
        self.cut = lambda method, path: None
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # quiet
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = bytearray()
                    while True:
                        n = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if n == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return bytes(out)
                        out += self.rfile.read(n)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _forward(self):
                body = self._body()
                with proxy._lock:
                    proxy.requests.append((self.command, self.path))
                    if self.headers.get("Range"):
                        proxy.ranges.append(self.headers["Range"])
                status = proxy.fail(self.command, self.path)
                if status:
                    self.send_response(status)
                    payload = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=120)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("transfer-encoding", "connection")}
                if body or self.command in ("PUT", "POST"):
                    headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                length = resp.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
                self.send_header("Content-Length", length or "0")
                self.end_headers()
                conn.close()
                cut = proxy.cut(self.command, self.path)
                if cut is not None:
                    self.wfile.write(data[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def count(self, method: str, pattern: str = "") -> int:
        rx = re.compile(pattern)
        with self._lock:
            return sum(1 for m, p in self.requests if m == method and rx.search(p))

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.ranges.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxied(s3_server, tmp_path, monkeypatch, request):
    """An S3 store whose dsctl traffic goes through a CountingProxy."""
    store = make_store("s3", request, tmp_path)
    proxy = CountingProxy(s3_server.endpoint_url)
    for k, v in store.env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    yield store, proxy
    proxy.close()


def _key(store, rel: str) -> str:
    return urllib.parse.quote(f"/{store.fs_base}/{rel}", safe="/")


def test_copies_within_and_across_buckets_are_one_copyobject_each(proxied, tmp_path):
    """Server-side copies on one endpoint - in a bucket or to another bucket - are one
    CopyObject (a PUT with x-amz-copy-source) per file: no bytes through dsctl, and
    no s3fs (which took ~3 ms of CPU per object and its ~0.5 s import)."""
    store, proxy = proxied
    other = "dsctl-other-" + uuid.uuid4().hex[:8]
    store.fs.mkdir(other)
    files = {f"src/f{i}.bin": os.urandom(1000 + i) for i in range(5)}
    files["src/big.bin"] = os.urandom(9 * MiB)
    store.put_many(files)
    for dest in (store.url("dst/"), f"s3://{other}/dst/"):
        proxy.clear()
        r = run("cp", "-r", store.url("src/"), dest)
        assert r.code == 0 and "copied 6 files" in r.err, r
        assert proxy.count("PUT") == 6 and proxy.count("GET", "^/[^?]*$") == 0, proxy.requests
    store.fs.invalidate_cache()
    for rel, data in files.items():
        assert store.fs.cat_file(f"{other}/dst/{rel[4:]}") == data
        assert store.get(rel.replace("src/", "dst/", 1)) == data
    p, mods = _importtime(["cp", "-r", store.url("src/"), f"s3://{other}/again/"],
                          {"DSCTL_CONFIG_DIR": str(tmp_path / "c")})
    assert p.returncode == 0, p.stderr[-2000:]
    assert not {m.split(".")[0] for m in mods} & {"s3fs", "botocore", "aiobotocore", "obstore"}


def test_multipart_upload_is_one_create_one_put_per_part_one_complete(proxied, tmp_path):
    store, proxy = proxied
    data = os.urandom(40 * MiB)
    (tmp_path / "big.bin").write_bytes(data)
    for part_size, parts in (("8MiB", 5), ("16MiB", 3)):
        proxy.clear()
        r = run("cp", "--part-size", part_size, tmp_path / "big.bin", store.url(f"p{parts}/big.bin"))
        assert r.code == 0, r
        key = _key(store, f"p{parts}/big.bin")
        assert proxy.count("POST", re.escape(key) + r"\?uploads") == 1, proxy.requests
        assert proxy.count("PUT", re.escape(key) + r"\?.*partNumber=") == parts, proxy.requests
        assert proxy.count("POST", re.escape(key) + r"\?uploadId=") == 1, proxy.requests
        assert proxy.count("DELETE") == 0, proxy.requests
        # planning may probe the destination (HEAD + one listing); nothing else
        others = len(proxy.requests) - parts - 2
        assert others <= 2, proxy.requests
        assert store.get(f"p{parts}/big.bin") == data


def test_config_yaml_sets_the_default_part_size_and_a_flag_overrides_it(proxied, tmp_path, monkeypatch):
    """SPEC 4: config.yaml holds the defaults for jobs and part size; both were ignored."""
    store, proxy = proxied
    (tmp_path / "big.bin").write_bytes(os.urandom(12 * MiB))
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "config.yaml").write_text("part_size: 5MiB\njobs: 2\n")
    monkeypatch.setenv("DSCTL_CONFIG_DIR", str(tmp_path / "cfg"))
    for flags, parts in (((), 3), (("--part-size", "8MiB"), 2)):
        proxy.clear()
        r = run("cp", *flags, tmp_path / "big.bin", store.url(f"cfg{parts}/big.bin"))
        assert r.code == 0, r
        assert proxy.count("PUT", r"\?.*partNumber=") == parts, (flags, proxy.requests)
    (tmp_path / "cfg" / "config.yaml").write_text("jobs: lots\n")
    r = run("cp", tmp_path / "big.bin", store.url("cfg/bad.bin"))
    assert r.code == 2 and "lots" in r.err, r


def test_failed_multipart_upload_is_aborted_and_leaves_nothing(proxied, tmp_path):
    store, proxy = proxied
    (tmp_path / "big.bin").write_bytes(os.urandom(24 * MiB))
    proxy.fail = lambda method, path: 500 if method == "PUT" and "partNumber=2" in path else None
    r = run("cp", tmp_path / "big.bin", store.url("failed/big.bin"))
    assert r.code == 5, r
    assert proxy.count("DELETE", r"\?uploadId=") == 1, proxy.requests   # AbortMultipartUpload
    assert not store.exists("failed/big.bin")


def test_small_files_cost_one_request_each(proxied, tmp_path):
    store, proxy = proxied
    src = tmp_path / "small"
    src.mkdir()
    for i in range(30):
        (src / f"f{i:02d}.txt").write_bytes(os.urandom(100 + i))
    r = run("cp", "-r", f"{src}/", store.url("s/"))
    assert r.code == 0, r
    assert proxy.count("PUT") == 30, proxy.requests
    assert proxy.count("HEAD") + proxy.count("GET") <= 2, proxy.requests   # the destination probe
    assert proxy.count("POST") == 0, proxy.requests
    proxy.clear()
    r = run("cp", "-r", store.url("s/"), f"{tmp_path}/back/")
    assert r.code == 0, r
    # `prefix/` with -r is listed straight away: one (short) page, no HEAD or probe first
    assert proxy.count("GET", r"list-type=2&max-keys=100&") == 1, proxy.requests
    assert proxy.count("GET", r"list-type=2") == 1, proxy.requests
    assert proxy.count("GET") - proxy.count("GET", r"list-type=2") == 30, proxy.requests
    assert proxy.count("HEAD") == 0, proxy.requests
    assert (tmp_path / "back" / "f07.txt").read_bytes() == (src / "f07.txt").read_bytes()


@pytest.mark.parametrize("splice", ["1", "0"], ids=["spliced", "obstore"])
def test_large_download_is_one_ranged_get_per_stream(proxied, tmp_path, monkeypatch, splice):
    """Streamed ranges hold ~1 MiB each whatever their length, so a download is split
    into equal ranges, one per stream (5), each a whole number of MiB and at least a part.
    The same on both range readers: spliced into the file (plain http on Linux) and
    obstore's (https, or DSCTL_SPLICE=0)."""
    monkeypatch.setenv("DSCTL_SPLICE", splice)
    store, proxy = proxied
    data = os.urandom(40 * MiB + 3)
    store.put("dl/big.bin", data)
    key = _key(store, "dl/big.bin")

    def gets() -> int:
        return len([p for m, p in proxy.requests if m == "GET" and p.startswith(key)])

    r = run("cp", store.url("dl/big.bin"), tmp_path / "big.bin")
    assert r.code == 0, r
    assert gets() == 5, proxy.requests              # 4 × 9 MiB + the rest
    assert (tmp_path / "big.bin").read_bytes() == data
    proxy.clear()
    r = run("cp", "--part-size", "16MiB", store.url("dl/big.bin"), tmp_path / "big2.bin")
    assert r.code == 0, r
    assert gets() == 3, proxy.requests              # no range shorter than a part: 16+16+8
    assert (tmp_path / "big2.bin").read_bytes() == data


@pytest.fixture
def small_disk(tmp_path):
    """A real 32 MiB ext4 filesystem (loop-mounted; needs root, mkfs.ext4 and loop devices)."""
    img, mnt = tmp_path / "disk.img", tmp_path / "mnt"
    mnt.mkdir()
    with open(img, "wb") as f:
        f.truncate(32 * MiB)
    steps = [["mkfs.ext4", "-q", "-F", str(img)], ["mount", "-o", "loop", str(img), str(mnt)]]
    for cmd in steps:
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=60)
        except FileNotFoundError:
            p = None
        if p is None or p.returncode != 0:
            pytest.skip(f"cannot make a small filesystem here ({cmd[0]}: {p and p.stderr[-200:]!r})")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True, timeout=60)


def test_a_download_larger_than_the_free_space_fails_before_fetching(proxied, small_disk):
    """The destination's blocks are reserved before the first byte is fetched: a disk
    without room fails at once, with the disk's own message, nothing fetched for
    nothing and no temp file left - not after most of the object came."""
    store, proxy = proxied
    data = os.urandom(40 * MiB)
    store.put("dl/toolarge.bin", data)
    key = _key(store, "dl/toolarge.bin")
    r = run("cp", store.url("dl/toolarge.bin"), small_disk / "out.bin")
    assert r.code == 1, r
    assert r.err.splitlines()[0] == f"dsctl: error: No space left on device ({small_disk / 'out.bin'})", r.err
    assert [p for m, p in proxy.requests if m == "GET" and p.startswith(key)] == [], proxy.requests
    assert [p.name for p in small_disk.iterdir() if p.name != "lost+found"] == []
    # a stream of unknown size cannot be reserved for: the disk fills mid-way, and the
    # error names the destination (it named the source: "(-)")
    r = run("cp", "-", small_disk / "piped.bin", input=data)
    assert r.code == 1, r
    assert r.err.splitlines()[0] == f"dsctl: error: No space left on device ({small_disk / 'piped.bin'})", r.err
    assert [p.name for p in small_disk.iterdir() if p.name != "lost+found"] == []


def _ranges(proxy) -> list[tuple[int, int]]:
    return [tuple(int(x) for x in r.removeprefix("bytes=").split("-")) for r in proxy.ranges]


@needs_splice
def test_a_range_cut_off_mid_body_resumes_where_it_stopped(proxied, tmp_path):
    """A spliced range whose connection drops mid-body asks again for the rest of that
    range only - the bytes already in the file are kept - and the file ends up whole."""
    store, proxy = proxied
    data = os.urandom(40 * MiB + 11)                      # 5 streams of 9 MiB or less
    store.put("cut/big.bin", data)
    key = _key(store, "cut/big.bin")
    cut_at = 3 * MiB + 5
    done = []

    def cut(method, path):
        if method == "GET" and path.startswith(key) and not done:
            done.append(path)
            return cut_at
        return None

    proxy.cut = cut
    r = run("cp", store.url("cut/big.bin"), tmp_path / "big.bin")
    assert r.code == 0, r
    assert (tmp_path / "big.bin").read_bytes() == data
    ranges = _ranges(proxy)
    assert len(ranges) == 6, ranges                      # 5 streams + one resumption
    resumed = [(a, b) for a, b in ranges if (a - cut_at, b) in ranges]
    assert len(resumed) == 1, ranges
    assert sorted(set(ranges) - set(resumed))[-1][1] == len(data) - 1


@needs_splice
def test_a_busy_answer_to_a_range_is_retried_and_a_refusal_is_not(proxied, tmp_path):
    store, proxy = proxied
    data = os.urandom(40 * MiB)
    store.put("busy/big.bin", data)
    key = _key(store, "busy/big.bin")
    failed = []

    def busy(method, path):
        if method == "GET" and path.startswith(key) and not failed:
            failed.append(path)
            return 503
        return None

    proxy.fail = busy
    r = run("cp", store.url("busy/big.bin"), tmp_path / "big.bin")
    assert r.code == 0, r
    assert (tmp_path / "big.bin").read_bytes() == data
    assert len(failed) == 1 and proxy.count("GET", re.escape(key)) == 6, proxy.requests

    proxy.clear()
    proxy.fail = lambda method, path: 403 if method == "GET" and path.startswith(key) else None
    r = run("cp", store.url("busy/big.bin"), tmp_path / "denied" / "big.bin")
    assert r.code == 4, r
    assert r.err.startswith("dsctl: error: ") and "Traceback" not in r.err, r
    assert 1 <= proxy.count("GET", re.escape(key)) <= 5, proxy.requests   # no stream retried
    assert not (tmp_path / "denied").exists() or not any((tmp_path / "denied").iterdir())


def test_a_failed_download_leaves_no_empty_directories(proxied, tmp_path):
    """Directories made for files that never arrived are removed; those holding files stay.
    (A large file's temp file, and so its directory, exists before its first range.)"""
    store, proxy = proxied
    store.put_many({"t/ok/a.txt": b"a", "t/deep/er/b.bin": os.urandom(10 * MiB)})
    refused = _key(store, "t/deep/er/b.bin")
    proxy.fail = lambda method, path: 403 if method == "GET" and path.startswith(refused) else None
    (tmp_path / "out").mkdir()
    r = run("cp", "-r", store.url("t/"), f"{tmp_path}/out/")
    assert r.code == 1 and "1 of 2 files failed" in r.err, r   # some files failed
    assert (tmp_path / "out" / "ok" / "a.txt").read_bytes() == b"a"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ok"], list((tmp_path / "out").iterdir())


def test_recursive_listing_is_consumed_page_by_page(proxied, tmp_path):
    """The first entry is yielded after one ListObjectsV2 page, before the listing ends."""
    store, proxy = proxied
    import obstore
    from obstore.store import S3Store

    srv_store = S3Store(BUCKET, endpoint=proxy.url, region="us-east-1", client_options={"allow_http": True},
                        access_key_id=store.env["AWS_ACCESS_KEY_ID"],
                        secret_access_key=store.env["AWS_SECRET_ACCESS_KEY"])
    prefix = store.fs_base.split("/", 1)[1]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda i: obstore.put(srv_store, f"{prefix}/many/k{i:05d}", b"x"), range(2100)))
    proxy.clear()
    from dsctl.storage import resolve
    from dsctl.storage.listing import iter_files

    ep = resolve(store.url("many/"))
    assert ep.store is not None, "the fast path should serve this endpoint"
    it = iter_files(ep)
    first = next(it)
    assert first[0].endswith("/many/k00000")
    assert proxy.count("GET", r"list-type=2") == 1, proxy.requests
    rest = sum(1 for _ in it)
    assert rest == 2099
    assert proxy.count("GET", r"list-type=2") == 3, proxy.requests
    # `ls` of the prefix (one level, with sub-prefixes among the keys) streams the same
    # way: it collected and sorted the whole listing before its first line
    obstore.put(srv_store, f"{prefix}/many/k00001x/below", b"y")
    from dsctl.ops.browse import list_entries

    proxy.clear()
    entries = list_entries(store.url("many/"))
    names = [next(entries).name for _ in range(3)]
    assert names == ["k00000", "k00001", "k00001x/"], names
    assert proxy.count("GET", r"list-type=2") == 1, proxy.requests
    names += [e.name for e in entries]
    assert len(names) == 2101 and names == sorted(names, key=lambda n: n.rstrip("/")), names[:5]


# -- memory ----------------------------------------------------------------------------------

def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def test_512mib_copy_reserves_at_most_k_parts(s3_server, tmp_path, monkeypatch, request):
    """In-process: the engine's budget peak for a 512 MiB upload and download stays within
    the budget and k+1 parts (the writer's buffer plus k parts in flight)."""
    from dsctl.engine.plan import Planner
    from dsctl.engine.run import Engine, TransferOptions
    from dsctl.storage import resolve

    store = make_store("s3", request, tmp_path)
    for k, v in store.env.items():
        monkeypatch.setenv(k, v)
    big = _sparse(tmp_path / "big.bin", 512 * MiB)
    opts = TransferOptions()
    for src, dst in ((str(big), store.url("mem/big.bin")), (store.url("mem/big.bin"), str(tmp_path / "back.bin"))):
        eng = Engine(TransferOptions())
        summary = eng.run(Planner([resolve(src)], resolve(dst, for_write=True)))
        assert summary.copied == 1 and summary.failed == 0, summary
        assert eng.budget.peak <= opts.memory, eng.budget.peak
        assert eng.budget.peak <= (opts.max_parallel_parts + 1) * opts.part_size, eng.budget.peak
    assert os.path.getsize(tmp_path / "back.bin") == 512 * MiB


_LAUNCHER = ("import os,sys\n"
             "pid=os.fork()\n"
             "if pid==0:\n"
             "    os.execv(sys.argv[1],sys.argv[1:])\n"
             "_,st,ru=os.wait4(pid,0)\n"
             "print(ru.ru_maxrss)\n"
             "sys.exit(os.waitstatus_to_exitcode(st))\n")


def _peak_rss_mb(args, env) -> float:
    """Peak RSS of `python -m dsctl ARGS` itself (a peak survives exec, so a small
    launcher forks the command rather than this big pytest process)."""
    full = {**os.environ, **env}
    p = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, sys.executable, "-m", "dsctl", "-q",
                        *map(str, args)], capture_output=True, env=full, cwd=REPO, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return int(p.stdout.split()[-1]) / 1024


def test_512mib_upload_and_download_stay_under_150mb_rss(s3_server, tmp_path, request):
    store = make_store("s3", request, tmp_path)
    env = {**store.env, "DSCTL_CONFIG_DIR": str(tmp_path / "cfg")}
    big = _sparse(tmp_path / "big.bin", 512 * MiB)
    up = _peak_rss_mb(["cp", big, store.url("rss/big.bin")], env)
    down = _peak_rss_mb(["cp", store.url("rss/big.bin"), tmp_path / "back.bin"], env)
    assert up <= 150 and down <= 150, (up, down)


# -- the fast path is chosen (and not chosen) as documented ----------------------------------------

@pytest.mark.parametrize("opts,expected", [
    ({"key": "k", "secret": "s", "endpoint_url": "http://127.0.0.1:1"}, True),
    ({"key": "k", "secret": "s", "token": "t", "client_kwargs": {"region_name": "eu-west-1"}}, True),
    ({"anon": True, "endpoint_url": "https://minio.example"}, True),
    ({"key": "k", "secret": "s"}, False),                        # AWS without a region: botocore finds it
    ({"profile": "dev", "endpoint_url": "http://127.0.0.1:1"}, False),   # aws_profile
    ({"session": object(), "endpoint_url": "http://127.0.0.1:1"}, False),  # command / role_arn
    ({"endpoint_url": "http://127.0.0.1:1"}, False),                 # default chain
])
def test_s3_options_map_to_the_fast_path_only_when_exact(opts, expected, monkeypatch):
    for v in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(v, raising=False)
    assert (fast._s3_settings(opts) is not None) is expected


@pytest.mark.parametrize("opts,expected", [
    ({"connection_string": "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;"
                           "BlobEndpoint=http://127.0.0.1:1/a;"}, True),
    ({"account_name": "a", "account_key": "a2V5"}, True),
    ({"connection_string": "BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=x"}, False),
    ({"account_name": "a", "sas_token": "sv=x"}, False),
    ({"account_name": "a", "anon": False}, False),
])
def test_azure_options_map_to_the_fast_path_only_when_exact(opts, expected):
    assert (fast._azure_settings(opts) is not None) is expected


def test_a_proxy_variable_keeps_the_fsspec_path(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert fast._s3_settings({"key": "k", "secret": "s", "endpoint_url": "http://127.0.0.1:1"}) is None


@pytest.mark.parametrize("key,ok", [("a/b.txt", True), ("a b/~x[1]%#?", True), ("dir/", False),
                                    ("a//b", False), ("./a", False), ("a/../b", False), ("", False)])
def test_keys_obstore_cannot_name_exactly_stay_on_fsspec(key, ok):
    assert fast.key_ok(key) is ok


def test_strip_protocol_matches_s3fs():
    import s3fs

    for url in ("s3://b", "s3://b/", "s3://b/k", "s3://b/dir/", "s3a://b/k/x.y", "s3://b/a b/~x"):
        assert fast.strip_protocol("s3", url) == (s3fs.S3FileSystem._strip_protocol(url).rstrip("/")
                                                   or s3fs.S3FileSystem._strip_protocol(url)), url


def test_odd_keys_still_copy_exactly_through_fsspec(moto_server, tmp_path, monkeypatch):
    """A directory marker and a '//' key (moto keeps both) round-trip through the fallback."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_server.endpoint_url, aws_access_key_id="a",
                      aws_secret_access_key="b", region_name="us-east-1")
    bucket = "odd-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="src/marker/", Body=b"")
    s3.put_object(Bucket=bucket, Key="src/a//b.txt", Body=b"double")
    s3.put_object(Bucket=bucket, Key="src/plain.txt", Body=b"plain")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint_url)
    r = run("cp", "-r", f"s3://{bucket}/src/", f"s3://{bucket}/dst/")
    assert r.code == 0, r
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="dst/")["Contents"])
    assert keys == ["dst/a//b.txt", "dst/plain.txt"], keys   # the marker is not a file
    assert s3.get_object(Bucket=bucket, Key="dst/a//b.txt")["Body"].read() == b"double"


# -- the benchmark itself stays runnable ---------------------------------------------------------

def test_bench_quick_smoke():
    """bench/run.py end to end with tiny sizes and dsctl alone (no peers to install): it
    starts its own SeaweedFS, checks every result and prints the table."""
    p = subprocess.run([sys.executable, "bench/run.py", "--quick", "--editable", "--no-install",
                        "--no-startup", "-t", "dsctl", "--small-count", "20", "--big-size", "9MiB",
                        "-w", "upload-big,download-big,upload-small,download-small,s3-s3-big"],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    for row in ("1 × 9 MiB upload", "1 × 9 MiB download", "20 × 16 KiB upload",
                "20 × 16 KiB download", "1 × 9 MiB s3→s3 (server-side)"):
        assert f"| {row} |" in p.stdout, p.stdout
    assert "failed" not in p.stdout, p.stdout
    # the CPU table charges each run its own and the server's CPU: an upload costs both
    row = re.search(r"^\| upload-big \| dsctl \| [\d.]+ s \| ([\d.]+) \| ([\d.]+) \| [\d.]+ s \|$",
                    p.stdout, re.M)
    assert row and float(row[1]) > 0 and float(row[2]) > 0, p.stdout


def test_aws_buckets_are_virtual_hosted_except_dotted_names():
    """No request is made: only the store configuration is checked."""
    from dsctl.storage.objstore import FastBackend

    fb = FastBackend(fast._s3_settings({"key": "k", "secret": "s",
                                             "client_kwargs": {"region_name": "eu-west-1"}}),
                          fast.LazyFS(lambda: None))
    plain, dotted = fb.store("plain-bucket").config, fb.store("dotted.bucket").config
    assert plain["endpoint"] == "https://plain-bucket.s3.eu-west-1.amazonaws.com"
    assert dotted["endpoint"] == "https://s3.eu-west-1.amazonaws.com"
    assert str(dotted["virtual_hosted_style_request"]).lower() == "false"


def test_bench_ratio_interval_resamples_whole_rounds():
    """The interval the bench prints beside a ratio: exact when every round agrees, wide
    when they do not, around the ratio of the medians, and absent for a handful of runs."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", Path(REPO) / "bench" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench   # its dataclasses look their module up there
    try:
        spec.loader.exec_module(bench)
    finally:
        del sys.modules[spec.name]
    assert bench.ratio_interval([1.0] * 9, [2.0] * 9) == (0.5, 0.5)
    assert bench.ratio_interval([1.0] * 4, [2.0] * 4) is None
    # rounds where the machine was slow for both tools: pairing keeps the ratio near 0.8
    a = [0.8, 1.6, 0.8, 1.6, 0.8, 1.6, 0.8, 1.6, 0.8, 1.6]
    b = [1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0]
    lo, hi = bench.ratio_interval(a, b)
    assert lo == pytest.approx(0.8) and hi == pytest.approx(0.8)
    noisy_a = [0.5, 0.9, 0.6, 1.1, 0.55, 0.7, 0.95, 0.6, 0.8, 0.65]
    noisy_b = [0.6, 0.7, 0.9, 0.65, 1.0, 0.6, 0.7, 0.85, 0.62, 0.75]
    lo, hi = bench.ratio_interval(noisy_a, noisy_b)
    point = statistics.median(noisy_a) / statistics.median(noisy_b)
    assert lo < point < hi and hi - lo > 0.1
