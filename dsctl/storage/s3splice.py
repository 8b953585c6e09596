"""Ranged S3 GETs spliced from the socket straight into the destination file.

Why: a large download is CPU-bound on a small machine - the server's reads and the
client's copies share the cores. A user-space client (obstore, s5cmd) copies every
byte twice: socket -> buffer -> page cache. splice(2) moves it socket -> pipe ->
page cache with one copy, in the kernel, with no Python per byte. For 512 MiB from
SeaweedFS on loopback the client's CPU fell from ~0.49 to ~0.25 s and the wall
time by ~15% (bench/run.py).

Only where it can work: Linux (os.splice), plain http (TLS is decrypted in user
space), no proxy (dsctl.storage.fast already keeps proxied endpoints off the fast
path). Requests are signed and addressed by dsctl's S3 client, on its per-thread
keep-alive connections. A range whose connection fails or stalls resumes where it
stopped; an HTTP error is a StoreError (status, S3 code), which translate maps
like a listing's.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Callable

from .http1 import SpliceTarget, open_pipe
from .rest import StoreError, StoreUnreachable, backoff, quote
from .s3client import S3Client


def available(endpoint: str) -> bool:
    """True if ranges from this endpoint can be spliced (DSCTL_SPLICE=0 turns it off)."""
    return (endpoint.startswith("http://") and sys.platform.startswith("linux")
            and hasattr(os, "splice") and os.environ.get("DSCTL_SPLICE") != "0")


def splice_range(s3: S3Client, bucket: str, key: str, start: int, end: int, into: SpliceTarget,
                 write: Callable[[bytes, int], None], moved: Callable[[int], None]) -> int:
    """Write bytes [start, end) of the object into file `into.fd` at the same offsets:
    most spliced (moved(k) after each piece; the file's lock and write size as
    Connection.splice_body says), the few bytes read with an answer's headers through
    write(bytes, offset), the caller's writer to the file. Either callback may raise
    to stop. Returns the count."""
    host, path = s3.address(bucket, key)
    target = quote(path, safe="/-_.~")
    pos, failures = start, 0
    pipe = open_pipe()
    try:
        while pos < end:
            headers = s3.signed_headers("GET", host, path, {})
            headers["range"] = f"bytes={pos}-{end - 1}"
            reached = pos

            def advance(k: int) -> None:
                nonlocal reached
                reached += k
                moved(k)

            def put(data: bytes, offset: int) -> None:
                nonlocal reached
                write(data, offset)
                reached += len(data)

            in_body = False
            try:
                conn = s3.connection(host)
                r = conn.send("GET", target, headers)
                if r.status != 206:
                    raise _refusal(conn, r, pos, end)
                _check_framing(r.headers, pos, end)
                in_body = True
                conn.splice_body(r.headers, into, pos, end - pos, pipe, put, advance)
                pos = end
            except (OSError, StoreError) as e:
                s3.drop(host)
                if isinstance(e, StoreError) and not e.transient:
                    raise
                if in_body and not isinstance(e, (ConnectionError, TimeoutError)):
                    raise   # the file's own error (disk full...): another GET cannot help
                failures = 0 if reached > pos else failures + 1   # progress earns fresh attempts
                pos = reached
                if failures >= s3.t.attempts:
                    if isinstance(e, StoreError):
                        raise
                    raise StoreUnreachable(f"cannot read from {s3.t.endpoint}: {e}") from e
                time.sleep(backoff(max(1, failures)))
    finally:
        os.close(pipe[0])
        os.close(pipe[1])
    return end - start


def _refusal(conn, r, start: int, end: int) -> StoreError:
    """Anything but 206 Partial Content is an error: a 200 would be the whole object
    (a server that ignored Range), which cannot be written at these offsets."""
    if r.status == 200:
        conn.close()
        return StoreError(f"the server ignored the range {start}-{end - 1}", r.status)
    return StoreError.of(r.status, r.reason, conn.read_body(r).body)


def _check_framing(h: dict[str, str], start: int, end: int) -> None:
    """The body must be exactly the bytes asked for, unframed: a chunked body would
    splice its chunk headers into the file, another range would land at wrong offsets."""
    want = f"bytes {start}-{end - 1}/"
    total = h.get("content-range", "").rpartition("/")[2]
    if total.isdigit() and int(total) < end:
        # The object is shorter than the size the copy was planned with (it changed, or a
        # record says more than the store holds): what a 416 would say for a later range.
        raise StoreError(f"the object has {total} bytes, fewer than the {end} expected "
                         f"(changed during the copy?)", 416)
    if ("chunked" in h.get("transfer-encoding", "").lower() or h.get("content-length") != str(end - start)
            or not h.get("content-range", "").startswith(want)):
        raise StoreError(f"unexpected answer to the range {start}-{end - 1}: Content-Range "
                      f"{h.get('content-range')!r}, Content-Length {h.get('content-length')!r}, "
                      f"Transfer-Encoding {h.get('transfer-encoding')!r}", 206)
