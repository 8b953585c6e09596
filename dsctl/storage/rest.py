"""What dsctl's own small REST clients share: storage.s3client (S3) and
storage.azclient (Azure Blob listings and HEADs).

Per-thread keep-alive connections (storage.http1, TLS only for https), retries of
idempotent requests on dropped connections and busy answers with a jittered
back-off, and one error type carrying the HTTP status and the service's error
code - S3 and Azure Blob both answer errors as XML `<Error><Code/><Message/>`,
which storage.translate maps to dsctl's typed errors.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from typing import Callable

from .http1 import Connection, Response


class StoreError(Exception):
    """A request failed; carries the HTTP status and the service's error code (for translate)."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.error_code = code

    @classmethod
    def of(cls, status: int, reason: str, body: bytes) -> "StoreError":
        """The error an answer (XML Code/Message, or none) stands for."""
        code, msg = _error_of(body)
        return cls(f"{code or 'HTTP ' + str(status)}: {msg or reason}", status, code)

    @staticmethod
    def busy(status: int) -> bool:
        """Worth another attempt: the server was busy or failing, not refusing."""
        return status >= 500 or status in (408, 429)

    @property
    def transient(self) -> bool:
        return self.status is not None and self.busy(self.status)


class StoreUnreachable(ConnectionError):
    """The server could not be reached (after retries)."""


def backoff(failures: int) -> float:
    """Seconds to wait after the n-th failure in a row: 0.1 s doubling up to 5 s, jittered."""
    import random   # only after a failure: its import is ~1.3 ms of start-up

    return min(0.1 * 2 ** (failures - 1), 5.0) * (1 + random.random())


def quote(s: str, safe: str = "-_.~") -> str:
    return urllib.parse.quote(s, safe=safe)


class RestClient:
    """Requests to one endpoint (`scheme://host[:port][/base]`) on per-thread
    keep-alive connections; `attempts` tries per idempotent request."""

    def __init__(self, endpoint: str, timeout: float, attempts: int, cafile: str | None):
        u = urllib.parse.urlsplit(endpoint)
        self.endpoint = endpoint
        self.scheme = u.scheme or "https"
        self.host = u.hostname or ""
        self.port = u.port
        self.base = u.path.rstrip("/")
        self.timeout, self.attempts, self.cafile = timeout, attempts, cafile
        self._local = threading.local()

    def host_header(self, host: str) -> str:
        """`host[:port]`, as the Host header (and a signature over it) names it."""
        return host if self.port is None else f"{host}:{self.port}"

    @staticmethod
    def with_query(target: str, query: dict[str, str]) -> str:
        """An already quoted path with its query string (names sorted), for the request line."""
        if not query:
            return target
        return target + "?" + urllib.parse.urlencode(sorted(query.items()), quote_via=urllib.parse.quote,
                                                     safe="-_.~")

    def connection(self, host: str) -> Connection:
        """This thread's keep-alive connection to host."""
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        c = conns.get(host)
        if c is None:
            tls = None
            if self.scheme == "https":
                import ssl   # only for https: ~3 ms

                tls = ssl.create_default_context(cafile=self.cafile)
            c = conns[host] = Connection(host, self.port, self.timeout, tls)
        return c

    def drop(self, host: str) -> None:
        """Close and forget this thread's connection to host (after an error)."""
        c = getattr(self._local, "conns", {}).pop(host, None)
        if c is not None:
            c.close()

    def call(self, method: str, host: str, target: str, headers: Callable[[], dict[str, str]],
             body=None) -> Response:
        """One request, retried on connection errors and busy/failing answers; the
        final answer (body read), whatever its status. `headers()` is called per
        attempt (a signature carries the time). Only idempotent requests here."""
        for attempt in range(1, self.attempts + 1):
            h = headers()
            try:
                conn = self.connection(host)
                r = conn.read_body(conn.send(method, target, h, body))
            except OSError as e:   # refused, reset, timed out, TLS, or an unreadable answer
                self.drop(host)
                if attempt == self.attempts:
                    raise StoreUnreachable(f"cannot reach {self.endpoint}: {e}") from e
            else:
                if r.status < 300 or attempt == self.attempts or not StoreError.busy(r.status):
                    return r
            time.sleep(backoff(attempt))
        raise AssertionError("unreachable")


_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()


def http_date(v: str | None):
    """An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) as an aware datetime; None if
    absent or in another form. (email.utils would cost its ~10 ms import.)"""
    import datetime as _dt

    try:
        _, day, mon, year, hms, _ = (v or "").split()
        h, m, sec = hms.split(":")
        return _dt.datetime(int(year), _MONTHS.index(mon) + 1, int(day), int(h), int(m), int(sec),
                            tzinfo=_dt.timezone.utc)
    except ValueError:
        return None


def format_http_date(t: float) -> str:
    """`Sun, 06 Nov 1994 08:49:37 GMT` for a Unix time, whatever the locale."""
    g = time.gmtime(t)
    return (f"{_DAYS[g.tm_wday]}, {g.tm_mday:02d} {_MONTHS[g.tm_mon - 1]} {g.tm_year} "
            f"{g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d} GMT")


def _error_of(body: bytes) -> tuple[str | None, str | None]:
    if not body:   # a HEAD's error, or a server that says nothing
        return None, None
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None, None
    return root.findtext("Code"), root.findtext("Message")
