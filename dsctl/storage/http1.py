"""A minimal keep-alive HTTP/1.1 client for dsctl's S3 client (storage.s3client).

Why not http.client: importing it loads the email package (to parse headers), ~12 ms
of CPU before the first request of every `ls s3://...` and every S3 prefix copy -
more than all of dsctl's own modules. A listing needs only GET, a status line, a
few headers and a body framed by Content-Length or chunked encoding; that is all
this does. Protocol errors are ConnectionErrors, so callers retry them like a
dropped connection. TLS (ssl) is imported only for https.
"""

from __future__ import annotations

import io
import os
import socket
import struct
from time import perf_counter_ns
from typing import Callable, ContextManager, Protocol

MAX_LINE = 65536
MAX_HEADERS = 200
PIPE_SIZE = 1 << 20   # what one splice moves at most (the pipe is grown to it if allowed)
READ_BUFFER = 65536   # an answer's headers and a small object's body in one recv
SEND_JOINED = 65536   # a request body up to this size is sent in one piece with its head


class SpliceTarget(Protocol):
    """The file splice_body fills (AtomicLocalFile is one): its descriptor, a lock its
    writers take turns on, and how much one write into its page cache should move -
    piece() before a run of writes, took(bytes, ns) after it (engine.pagecache)."""
    fd: int
    lock: ContextManager

    def piece(self) -> int: ...

    def took(self, nbytes: int, ns: int) -> None: ...


class ProtocolError(ConnectionError):
    """The server's answer was not the HTTP/1.1 we can read, or stopped short."""


class Response:
    __slots__ = ("status", "reason", "headers", "body", "method")

    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes,
                 method: str = "GET"):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body
        self.method = method


def _stalled(host: str, timeout: float) -> TimeoutError:
    """What a plain-http socket's receive timeout (SO_RCVTIMEO: EAGAIN) is reported as."""
    return TimeoutError(f"no data from {host} for {timeout:g}s")


class _SocketReader(io.RawIOBase):
    """A blocking socket's bytes for a BufferedReader. The receive timeout is the
    kernel's (SO_RCVTIMEO), so it surfaces as EAGAIN: a TimeoutError here, where
    socket.SocketIO would return a silent short read."""

    def __init__(self, sock: socket.socket, host: str, timeout: float):
        super().__init__()
        self._sock, self._host, self._timeout = sock, host, timeout

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        try:
            return self._sock.recv_into(b)
        except BlockingIOError:
            raise _stalled(self._host, self._timeout) from None


class Connection:
    """One persistent connection to host:port; `get` reconnects if it was closed."""

    def __init__(self, host: str, port: int | None, timeout: float, tls=None):
        """`tls`: an ssl.SSLContext for https, None for plain http."""
        self.host, self.timeout, self.tls = host, timeout, tls
        self.port = port or (443 if tls is not None else 80)
        self._sock: socket.socket | None = None
        self._rfile = None

    def close(self) -> None:
        if self._rfile is not None:
            self._rfile.close()
        if self._sock is not None:
            self._sock.close()
        self._sock = self._rfile = None

    def _connect(self) -> None:
        # an ASCII host as bytes: a str goes through the idna codec (~1 ms to import)
        host = self.host.encode() if self.host.isascii() else self.host
        sock = socket.create_connection((host, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
            self._sock, self._rfile = sock, sock.makefile("rb", READ_BUFFER)
            return
        # Plain http: a blocking socket with the kernel's timeouts. A Python timeout
        # polls before every send and recv - twice the syscalls and, with 32 threads,
        # twice the GIL hand-offs (2000 small GETs: ~15% less client CPU without).
        # splice(2) needs it too: it honours SO_RCVTIMEO, not a Python timeout.
        sock.settimeout(None)
        tv = struct.pack("ll", int(self.timeout), int(self.timeout % 1 * 1e6))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
        self._sock = sock
        self._rfile = io.BufferedReader(_SocketReader(sock, self.host, self.timeout), READ_BUFFER)

    def get(self, target: str, headers: dict[str, str]) -> Response:
        """GET `target` with exactly `headers` (the caller sends Host); the whole body."""
        return self.read_body(self.send("GET", target, headers))

    def read_body(self, r: Response) -> Response:
        """Read the body of the answer `send` returned, into r.body."""
        bodyless = r.method == "HEAD" or r.status in (204, 304)
        r.body = b"" if bodyless else self._body(r.headers)
        self._done(r.headers)
        return r

    def send(self, method: str, target: str, headers: dict[str, str], body=None) -> Response:
        """Send a request (with `body`, a bytes-like object, if given: the caller sets
        Content-Length) and read the answer up to its body, which the caller reads next
        (`read_body` or `splice_body`); `body` is left empty."""
        if self._sock is None:
            self._connect()
        lines = [f"{method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            if body is not None and len(body) > SEND_JOINED:
                self._sock.sendall(head)
                self._sock.sendall(body)
            else:   # a small body goes out with the head: one segment, one syscall
                self._sock.sendall(head + body if body is not None else head)
        except BlockingIOError:   # SO_SNDTIMEO ran out (plain http)
            raise TimeoutError(f"cannot send to {self.host} for {self.timeout:g}s") from None
        while True:
            version, status, reason = self._status_line()
            hdrs = self._headers()
            if status >= 200:
                break   # 1xx (no Expect: sent, but allowed by the protocol): read on
        if version == "HTTP/1.0":
            hdrs["connection"] = "close"
        return Response(status, reason, hdrs, b"", method)

    def _done(self, hdrs: dict[str, str]) -> None:
        if "close" in hdrs.get("connection", "").lower():
            self.close()

    def splice_body(self, hdrs: dict[str, str], into: SpliceTarget, offset: int, n: int,
                    pipe: tuple[int, int], write: Callable[[bytes, int], None],
                    moved: Callable[[int], None]) -> None:
        """Move the next `n` body bytes into file `into.fd` at `offset` with splice(2):
        socket -> pipe -> page cache, never through user space (Linux; plain http only).
        What the header reader had already buffered is handed to write(bytes, offset)
        (the caller's own writer to the file, which accounts for it); moved(k) is called
        after each spliced piece reaches the file. Each pipe -> file step holds
        `into.lock`, writes at most `into.piece()` bytes at a time and reports its time
        to `into.took`. If a callback raises, the connection is closed (its body is
        unread). A socket that fails or stalls raises a ConnectionError/TimeoutError; a
        failing file write its own OSError."""
        r, w = pipe
        fd = into.fd
        done = False
        try:
            head = self._rfile.read1(min(n, READ_BUFFER)) if n else b""
            if n and not head:
                raise ProtocolError(f"response body ended after 0 of {n} bytes")
            if head:
                write(head, offset)
            offset, left = offset + len(head), n - len(head)
            # the buffered reader is now empty: from here the socket is read by the kernel
            # (a plain-http socket: blocking, with SO_RCVTIMEO, which splice honours)
            while left:
                try:
                    k = os.splice(self._sock.fileno(), w, min(left, PIPE_SIZE))
                except BlockingIOError:
                    raise _stalled(self.host, self.timeout) from None
                if k == 0:
                    raise ProtocolError(f"response body ended after {n - left} of {n} bytes")
                m = k
                with into.lock:
                    piece, t0 = into.piece(), perf_counter_ns()
                    while m:   # the pipe holds what the socket gave: all of it goes to the file
                        x = os.splice(r, fd, min(m, piece), offset_dst=offset)
                        offset, m = offset + x, m - x
                    into.took(k, perf_counter_ns() - t0)
                left -= k
                moved(k)
            done = True
        finally:
            if done and self._sock is not None:
                self._done(hdrs)
            else:
                self.close()

    def _line(self) -> bytes:
        line = self._rfile.readline(MAX_LINE + 1)
        if not line:
            raise ProtocolError("connection closed by the server")
        if len(line) > MAX_LINE:
            raise ProtocolError("response line too long")
        return line

    def _status_line(self) -> tuple[str, int, str]:
        parts = self._line().decode("latin-1").rstrip("\r\n").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise ProtocolError(f"not an HTTP response: {' '.join(parts)[:60]!r}")
        return parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""

    def _headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            line = self._line()
            if line in (b"\r\n", b"\n"):
                return out
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise ProtocolError(f"malformed header line: {line[:60]!r}")
            name = name.strip().lower()
            value = value.strip()
            out[name] = f"{out[name]}, {value}" if name in out else value
        raise ProtocolError("too many headers")

    def _read(self, n: int) -> bytes:
        data = self._rfile.read(n)
        if len(data) != n:
            raise ProtocolError(f"response body ended after {len(data)} of {n} bytes")
        return data

    def _body(self, hdrs: dict[str, str]) -> bytes:
        if "chunked" in hdrs.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size_field = self._line().split(b";", 1)[0].strip()
                try:
                    size = int(size_field, 16)
                except ValueError:
                    raise ProtocolError(f"bad chunk size {size_field[:20]!r}") from None
                if size == 0:
                    self._headers()   # trailers, up to the closing blank line
                    return b"".join(chunks)
                chunks.append(self._read(size))
                self._read(2)         # the CRLF after each chunk
        length = hdrs.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise ProtocolError(f"bad Content-Length {length[:20]!r}")
            return self._read(int(length))
        body = self._rfile.read()     # no framing: the body runs to the end of the connection
        self.close()
        return body


def open_pipe() -> tuple[int, int]:
    """A pipe for splice_body, as large as the system lets an unprivileged process make it."""
    r, w = os.pipe()
    try:
        import fcntl

        fcntl.fcntl(w, 1031, PIPE_SIZE)   # F_SETPIPE_SZ; the default 64 KiB means 16x the syscalls
    except OSError:
        pass
    return r, w
