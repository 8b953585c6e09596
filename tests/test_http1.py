"""The lister's HTTP/1.1 client against a scripted server on 127.0.0.1: the body framings
servers use for ListObjectsV2 (Content-Length, chunked, read-to-close), keep-alive reuse,
and a cut-off answer surfacing as a ConnectionError (which the lister retries)."""

from __future__ import annotations

import socket
import threading

import pytest

from dsctl.storage.http1 import Connection, ProtocolError


class Scripted:
    """Answers the n-th request on each connection with answers[n] (raw bytes);
    records how many connections were accepted and the request heads it saw."""

    def __init__(self, answers: list[bytes]):
        self.answers, self.connections, self.heads = answers, 0, []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        f = c.makefile("rb")
        for answer in self.answers:
            head = b""
            while (line := f.readline()) not in (b"\r\n", b""):
                head += line
            if not head:
                break
            self.heads.append(head.decode())
            c.sendall(answer)
        c.close()


def _get(srv, n=1):
    conn = Connection("127.0.0.1", srv.port, timeout=5)
    out = [conn.get("/b?list-type=2", {"host": f"127.0.0.1:{srv.port}", "x-test": "1"}) for _ in range(n)]
    conn.close()
    return out


def test_content_length_bodies_reuse_one_connection():
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/xml\r\n\r\nhello"
    srv = Scripted([ok, ok])
    a, b = _get(srv, 2)
    assert (a.status, a.body, b.body) == (200, b"hello", b"hello")
    assert a.headers["content-type"] == "application/xml"
    assert srv.connections == 1
    assert srv.heads[0].startswith("GET /b?list-type=2 HTTP/1.1\r\n") and "x-test: 1" in srv.heads[0]


def test_chunked_body_with_trailers():
    body = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"4\r\n<Lis\r\n7;ext=1\r\ntBucket\r\n1\r\n>\r\n0\r\nX-Trailer: t\r\n\r\n")
    (r,) = _get(Scripted([body]))
    assert r.body == b"<ListBucket>"


def test_error_status_and_body_to_close():
    srv = Scripted([b"HTTP/1.0 403 Forbidden\r\n\r\n<Error><Code>AccessDenied</Code></Error>"])
    (r,) = _get(srv)
    assert (r.status, r.reason) == (403, "Forbidden")
    assert r.body == b"<Error><Code>AccessDenied</Code></Error>"


@pytest.mark.parametrize("answer", [b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
                                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
                                    b"SSH-2.0-OpenSSH\r\n", b""])
def test_cut_off_or_foreign_answers_are_connection_errors(answer):
    with pytest.raises(ProtocolError) as e:
        _get(Scripted([answer]))
    assert isinstance(e.value, ConnectionError)
