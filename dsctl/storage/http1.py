"""A minimal keep-alive HTTP/1.1 client for the S3 lister's GET requests.

Why not http.client: importing it loads the email package (to parse headers), ~12 ms
of CPU before the first request of every `ls s3://...` and every S3 prefix copy -
more than all of dsctl's own modules. A listing needs only GET, a status line, a
few headers and a body framed by Content-Length or chunked encoding; that is all
this does. Protocol errors are ConnectionErrors, so callers retry them like a
dropped connection. TLS (ssl) is imported only for https.
"""

from __future__ import annotations

import socket

MAX_LINE = 65536
MAX_HEADERS = 200


class ProtocolError(ConnectionError):
    """The server's answer was not the HTTP/1.1 we can read, or stopped short."""


class Response:
    __slots__ = ("status", "reason", "headers", "body")

    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body


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
        sock = socket.create_connection((self.host, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        self._sock, self._rfile = sock, sock.makefile("rb")

    def get(self, target: str, headers: dict[str, str]) -> Response:
        """GET `target` with exactly `headers` (the caller sends Host); the whole body."""
        if self._sock is None:
            self._connect()
        lines = [f"GET {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        while True:
            version, status, reason = self._status_line()
            hdrs = self._headers()
            if status >= 200:
                break   # 1xx (no Expect: sent, but allowed by the protocol): read on
        body = b"" if status in (204, 304) else self._body(hdrs)
        if version == "HTTP/1.0" or "close" in hdrs.get("connection", "").lower():
            self.close()
        return Response(status, reason, hdrs, body)

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
