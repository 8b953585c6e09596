"""The S3 client's HTTP/1.1 connection against a scripted server on 127.0.0.1: the body
framings servers use for ListObjectsV2 (Content-Length, chunked, read-to-close), keep-alive
reuse, a cut-off answer surfacing as a ConnectionError (which the S3 client retries), and
bodies spliced into a file (what was buffered and what the kernel moves, in place; a
short or stalled body an error, never a hang)."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from dsctl.storage.http1 import PIPE_SIZE, READ_BUFFER, Connection, ProtocolError, open_pipe

from .markers import needs_splice


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
        try:
            for answer in self.answers:
                head = b""
                while (line := f.readline()) not in (b"\r\n", b""):
                    head += line
                if not head:
                    break
                self.heads.append(head.decode())
                c.sendall(answer)
        except ConnectionError:   # the client hung up mid-answer (some tests do)
            pass
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



OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


class _Into:
    """What splice_body fills: a file's fd, its writers' lock, a fixed write size (and
    the timings it is told)."""

    def __init__(self, fd, lock=None, piece=PIPE_SIZE, timed=None):
        self.fd, self.lock, self.size = fd, lock or threading.Lock(), piece
        self.timed = [] if timed is None else timed

    def piece(self):
        return self.size

    def took(self, nbytes, ns):
        self.timed.append(nbytes)


def _splice(srv, tmp_path, n: int, offset: int = 100, timeout: float = 5, lock=None, seen=None,
            piece=PIPE_SIZE, timed=None):
    """GET, then splice n body bytes into a file at offset; (connection, file, moved counts)."""
    conn = Connection("127.0.0.1", srv.port, timeout=timeout)
    r = conn.send("GET", "/b/k", {"host": "x"})
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT, 0o600)
    os.ftruncate(fd, offset + n)
    seen = [] if seen is None else seen

    def write(data, at):   # the caller's writer for what came with the headers
        os.pwrite(fd, data, at)
        seen.append(len(data))

    pipe = open_pipe()
    try:
        conn.splice_body(r.headers, _Into(fd, lock, piece, timed), offset, n, pipe, write, seen.append)
    finally:
        os.close(fd)
        os.close(pipe[0])
        os.close(pipe[1])
    return conn, (tmp_path / "f").read_bytes(), seen


@needs_splice
def test_spliced_pieces_wait_for_the_files_writer_lock(tmp_path):
    # parallel ranges into one file take turns (AtomicLocalFile.lock): while another
    # writer holds it, nothing is spliced into the file; once it is free, all of it lands
    body = os.urandom(3 * 1024 * 1024)
    srv = Scripted([b"HTTP/1.1 206 Partial Content\r\nContent-Length: %d\r\n\r\n" % len(body) + body])
    lock, seen, got = threading.Lock(), [], {}
    lock.acquire()
    t = threading.Thread(target=lambda: got.update(r=_splice(srv, tmp_path, len(body), lock=lock, seen=seen)))
    t.start()
    time.sleep(0.5)
    held = list(seen)
    lock.release()
    t.join(10)
    assert len(held) <= 1 and sum(held) <= READ_BUFFER    # at most the bytes read with the headers
    assert got["r"][1] == bytes(100) + body
    got["r"][0].close()


@needs_splice
def test_spliced_body_lands_in_place_and_the_connection_is_reused(tmp_path):
    body = os.urandom(3 * 1024 * 1024 + 7)
    srv = Scripted([b"HTTP/1.1 206 Partial Content\r\nContent-Length: %d\r\n\r\n" % len(body) + body, OK])
    conn, data, seen = _splice(srv, tmp_path, len(body))
    assert data == bytes(100) + body
    assert sum(seen) == len(body) and len(seen) > 1      # progress per piece, not at the end
    assert conn.get("/b/next", {"host": "x"}).body == b"hello"
    assert srv.connections == 1
    conn.close()


@needs_splice
def test_spliced_bytes_reach_the_file_in_pieces_no_larger_than_the_files_write_size(tmp_path, monkeypatch):
    # the file's write size (engine.pagecache) caps each pipe -> file step, while the
    # socket -> pipe steps still take all the socket has; each step's time is reported
    body = os.urandom(3 * 1024 * 1024)
    srv = Scripted([b"HTTP/1.1 206 Partial Content\r\nContent-Length: %d\r\n\r\n" % len(body) + body])
    real, calls = os.splice, []

    def splice(src, dst, count, *a, **kw):
        n = real(src, dst, count, *a, **kw)
        calls.append(("file" if "offset_dst" in kw else "socket", n))
        return n

    monkeypatch.setattr(os, "splice", splice)
    timed = []
    conn, data, seen = _splice(srv, tmp_path, len(body), piece=16384, timed=timed)
    assert data == bytes(100) + body
    assert max(n for kind, n in calls if kind == "file") <= 16384
    assert max(n for kind, n in calls if kind == "socket") > 16384
    assert sum(timed) == len(body) - seen[0]   # all but what came with the headers
    conn.close()


@needs_splice
def test_short_spliced_body_is_a_connection_error(tmp_path):
    srv = Scripted([b"HTTP/1.1 206 Partial Content\r\nContent-Length: 50\r\n\r\nonly this"])
    with pytest.raises(ProtocolError, match="after 9 of 50"):
        _splice(srv, tmp_path, 50)


@pytest.mark.parametrize("sent", [b"", b"HTTP/1.1 200 OK\r\nContent-Len",
                                  b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 70000],
                         ids=["nothing", "half-a-header", "part-of-the-body"])
def test_a_server_that_stalls_is_a_timeout_not_a_hang_or_a_short_answer(sent):
    # plain-http sockets block with the kernel's timeout (SO_RCVTIMEO): running out of
    # it must be a TimeoutError (retried by the S3 client), never a truncated body
    srv = Scripted([sent, OK])   # (then waits for a request that never comes)
    conn = Connection("127.0.0.1", srv.port, timeout=0.5)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        conn.get("/b/k", {"host": "x"})
    assert time.monotonic() - t0 < 5
    conn.close()


@needs_splice
def test_stalled_spliced_body_times_out(tmp_path):
    """The server sends part of the body and then nothing, keeping the connection open."""
    srv = Scripted([b"HTTP/1.1 206 Partial Content\r\nContent-Length: 100000\r\n\r\n" + b"x" * 70000,
                    OK])   # (waits for a second request that never comes)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        _splice(srv, tmp_path, 100000, timeout=0.5)
    assert time.monotonic() - t0 < 5


@needs_splice
def test_a_callback_that_raises_stops_the_body_and_closes_the_connection(tmp_path):
    body = os.urandom(2 * 1024 * 1024)
    srv = Scripted([b"HTTP/1.1 206 Partial Content\r\nContent-Length: %d\r\n\r\n" % len(body) + body, OK])
    conn = Connection("127.0.0.1", srv.port, timeout=5)
    r = conn.send("GET", "/b/k", {"host": "x"})
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT, 0o600)
    pipe = open_pipe()

    def stop(_n):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        conn.splice_body(r.headers, _Into(fd), 0, len(body), pipe, lambda data, at: stop(len(data)), stop)
    for f in (fd, *pipe):
        os.close(f)
    # the unread rest of the body is not taken for the next answer: a new connection
    assert conn.get("/b/again", {"host": "x"}).body == body
    assert srv.connections == 2
    conn.close()


@needs_splice
@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 206 Partial Content\r\nTransfer-Encoding: chunked\r\nContent-Range: bytes 0-4/10\r\n\r\n"
    b"5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\nContent-Range: bytes 5-9/10\r\n\r\nworld",
], ids=["chunked", "another-range"])
def test_a_range_answer_that_is_not_exactly_the_bytes_asked_for_is_refused(tmp_path, answer):
    """Spliced bytes go straight to the file: a chunked body (its framing would land in the
    file) or a different range than asked for is an error, and nothing is written."""
    from dsctl.storage.rest import StoreError
    from dsctl.storage.s3client import S3Client, S3Target
    from dsctl.storage.s3splice import splice_range

    srv = Scripted([answer])
    s3 = S3Client(S3Target(f"http://127.0.0.1:{srv.port}", "us-east-1", "key", "secret", attempts=1))
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT, 0o600)
    os.ftruncate(fd, 10)
    try:
        with pytest.raises(StoreError, match="unexpected answer to the range 0-4"):
            splice_range(s3, "b", "k", 0, 5, _Into(fd), lambda data, at: None, lambda n: None)
    finally:
        os.close(fd)
    assert (tmp_path / "f").read_bytes() == bytes(10)
