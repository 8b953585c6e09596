"""S3 over TLS: every request dsctl makes (its own S3 client, obstore's data path) trusts the
CA named by AWS_CA_BUNDLE and refuses a server it cannot verify.

SeaweedFS speaks plain HTTP here, so a TLS-terminating forwarder on 127.0.0.1 with a
throwaway `trustme` CA sits in front of it. The Host header passes through, so the
SigV4 signatures dsctl makes for the forwarder's address stay valid upstream.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import urllib.parse

import pytest
import trustme

from .cli import run, run_proc
from .stores import make_store


class TLSForwarder:
    def __init__(self, upstream: str, ca: trustme.CA):
        u = urllib.parse.urlsplit(upstream)
        self.upstream = (u.hostname, u.port)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(ctx)
        self.ctx = ctx
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        self.handshakes_failed = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshakes_failed += 1
            raw.close()
            return
        up = socket.create_connection(self.upstream)

        def pump(a, b):
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pump, args=(up, tls), daemon=True).start()
        pump(tls, up)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def tls_s3(s3_server, tmp_path, monkeypatch, request):
    store = make_store("s3", request, tmp_path)
    ca = trustme.CA()
    fwd = TLSForwarder(s3_server.endpoint_url, ca)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    for k, v in store.env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_ENDPOINT_URL", fwd.url)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(ca_file))
    yield store, fwd, tmp_path
    fwd.close()


def test_listing_and_transfers_over_tls_trust_the_ca_bundle(tls_s3):
    store, _fwd, tmp = tls_s3
    files = {f"d/f{i}.txt": f"tls {i}".encode() * (i + 1) for i in range(12)}
    store.put_many(files)
    r = run("ls", "-r", store.url("d/"))
    assert r.code == 0, r
    assert r.lines == sorted(k[2:] for k in files), r
    r = run("cp", "-r", store.url("d/"), f"{tmp}/out/")
    assert r.code == 0, r
    assert {p.name: p.read_bytes() for p in (tmp / "out").iterdir()} == {k[2:]: v for k, v in files.items()}
    big = os.urandom(12 * 1024 * 1024 + 3)   # ranged GETs in parallel: obstore's reader on https
    store.put("big/b.bin", big)
    r = run("cp", "--part-size", "5MiB", store.url("big/b.bin"), tmp / "b.bin")
    assert r.code == 0, r
    assert (tmp / "b.bin").read_bytes() == big
    (tmp / "up.bin").write_bytes(b"u" * 70_000)
    r = run("cp", tmp / "up.bin", store.url("up/up.bin"))
    assert r.code == 0, r
    assert store.get("up/up.bin") == b"u" * 70_000


def test_a_server_outside_the_ca_bundle_is_refused(tls_s3, tmp_path, monkeypatch):
    store, fwd, tmp = tls_s3
    store.put("d/a.txt", b"a")
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("AWS_CA_BUNDLE", str(other))
    for args in (("ls", "-r", store.url("d/")), ("cp", "-r", store.url("d/"), f"{tmp}/x/")):
        r = run(*args)
        assert r.code == 5, (args, r)   # a TLS failure is a network problem, not "not found"
        assert r.err.startswith("dsctl: error: ") and "Traceback" not in r.err, r
    assert not (tmp / "x").exists() or not any((tmp / "x").iterdir())
    assert fwd.handshakes_failed >= 1


def test_an_https_url_with_an_unknown_ca_says_it_is_the_certificate(http_server):
    """fsspec's http reported a certificate it could not verify as the URL itself:
    "transient failure: https://…/a.txt (https://…/a.txt)" - no word of TLS."""
    (http_server.root / "tls.txt").write_bytes(b"t")
    # a process of its own: in this one, an http filesystem that trusted the CA is cached
    for cmd in ("cat", "stat", "ls"):
        r = run_proc(cmd, f"{http_server.https_url}/tls.txt", env={"SSL_CERT_FILE": None})
        assert r.code == 5 and "TLS" in r.err and "certificate" in r.err.lower(), (cmd, r)
        assert r.err.count("\n") == 1, r
