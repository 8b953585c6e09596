"""The obstore side of the fast data path: one FastBackend per set of options,
holding an obstore store per bucket/container, and the FastWriter that streams
an upload into obstore's multipart/block writer (aborted on failure). Its
listings and metadata are storage.objmeta's.

dsctl.storage.fast decides *whether* a URL takes this path and with which
settings; this module does the requests. obstore is imported on first use.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from .. import redact
from .fast import LazyFS, key_ok
from .mime import attributes, content_type
from .objmeta import Metadata

if TYPE_CHECKING:
    from .http1 import SpliceTarget

MAX_COPY_OBJECT = 5 * 1024 ** 3   # S3 CopyObject's limit; larger copies are multipart (s3fs)

# -- the backend --------------------------------------------------------------------------

_malloc_tuned = False


def _tune_malloc() -> None:
    """Keep glibc from mapping and unmapping a fresh region for every part-sized buffer.

    By default allocations above 128 KiB (adjusted upwards as they are freed) are
    mmap()ed and returned on free, and the heap top is trimmed above 128 KiB, so a
    copy that moves 512 MiB through 8 MiB buffers pays page faults and TLB
    shootdowns for every byte. Serving those sizes from the heap and not trimming
    it lets a short-lived process reuse the same few buffers (resident memory stays
    at the working set the MemoryBudget bounds). A no-op off glibc."""
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    import sys

    if not sys.platform.startswith("linux") or os.environ.get("DSCTL_MALLOC_TUNING") == "0":
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
            return
        libc.mallopt(-3, 32 * 1024 * 1024)   # M_MMAP_THRESHOLD: the maximum it accepts
        libc.mallopt(-1, 128 * 1024 * 1024)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


def _seconds(v: Any) -> str:
    return f"{float(v):g}s"


class FastBackend(Metadata):
    """obstore stores (one per bucket/container) for one set of options; listings and
    metadata (storage.objmeta) through dsctl's own S3 and Azure clients."""

    def __init__(self, settings: dict, fs: LazyFS):
        self.s = settings
        self.scheme = settings["scheme"]
        self.fs = fs
        self._stores: dict[str, Any] = {}
        self._lock = threading.Lock()
        redact.register(settings.get("secret"), settings.get("token"), settings.get("key")
                        if self.scheme == "az" else None)

    # -- paths --------------------------------------------------------------------------

    @staticmethod
    def split(path: str) -> tuple[str, str]:
        bucket, _, key = path.partition("/")
        return bucket, key

    def usable(self, path: str) -> bool:
        bucket, key = self.split(path)
        return bool(bucket) and key_ok(key)

    # -- stores -------------------------------------------------------------------------

    def store(self, bucket: str):
        st = self._stores.get(bucket)
        if st is None:
            with self._lock:
                st = self._stores.get(bucket)
                if st is None:
                    st = self._stores[bucket] = self._make_store(bucket)
        return st

    def _client_options(self, endpoint: str) -> dict:
        s = self.s
        opts: dict = {"connect_timeout": _seconds(s.get("connect_timeout", 10)),
                      "read_timeout": _seconds(s.get("read_timeout", 60)),
                      "timeout": "1h",      # whole request; read_timeout catches a stalled one
                      "pool_max_idle_per_host": "64"}
        if endpoint.startswith("http://"):
            opts["allow_http"] = True
        else:
            from .s3client import cafile_from_env

            ca = cafile_from_env()
            if ca:
                with open(ca, "rb") as f:
                    opts["root_certificate"] = f.read()
        return opts

    def _retry(self) -> dict:
        return {"max_retries": max(0, int(self.s.get("attempts", 4)) - 1),
                "retry_timeout": timedelta(seconds=60),
                "backoff": {"init_backoff": timedelta(milliseconds=100),
                            "max_backoff": timedelta(seconds=5), "base": 2}}

    def _make_store(self, bucket: str):
        s = self.s
        if self.scheme == "s3":
            from obstore.store import S3Store

            endpoint = s["endpoint"]
            # as botocore does: a bucket name with dots cannot be a TLS host name label
            virtual = s["virtual"] and "." not in bucket
            if virtual:
                u = urlsplit(endpoint)
                endpoint = f"{u.scheme}://{bucket}.{u.netloc}{u.path}"
            kw: dict = {"endpoint": endpoint, "region": s["region"],
                        "virtual_hosted_style_request": virtual,
                        "skip_signature": s["anon"],
                        # as botocore does: TLS protects the body on https; sign it on http
                        "unsigned_payload": endpoint.startswith("https://")}
            if not s["anon"]:
                creds = {"access_key_id": s["key"], "secret_access_key": s["secret"],
                         "token": s.get("token"), "expires_at": None}
                kw["credential_provider"] = lambda: creds
            return S3Store(bucket, client_options=self._client_options(endpoint),
                           retry_config=self._retry(), **kw)
        from obstore.store import AzureStore

        creds = {"access_key": s["key"], "expires_at": None}
        return AzureStore(bucket, account_name=s["account"], endpoint=s["endpoint"],
                          use_emulator=False, credential_provider=lambda: creds,
                          client_options=self._client_options(s["endpoint"]),
                          retry_config=self._retry())

    def _splices(self) -> bool:
        if self.scheme != "s3":
            return False
        from .s3splice import available

        return available(self.s["endpoint"])

    # -- data ---------------------------------------------------------------------------

    def get(self, path: str, start: int | None = None, end: int | None = None):
        """The object's bytes (a buffer), or bytes [start, end)."""
        bucket, key = self.split(path)
        if start is None and self.scheme == "s3":   # the S3 client: less CPU per small object
            return self.s3.get(bucket, key)
        import obstore

        st = self.store(bucket)
        if start is None:
            return obstore.get(st, key).bytes()
        if end is not None and end <= start:
            return b""
        return obstore.get_range(st, key, start=start, end=end)

    def read_into(self, path: str, start: int, end: int, write: Callable[[Any, int], None],
                  chunk: int = 256 * 1024, into: SpliceTarget | None = None,
                  moved: Callable[[int], None] | None = None) -> int:
        """Stream bytes [start, end) to write(buffer, offset) in ~`chunk` pieces; returns
        the count. Small pieces recycle the allocator's memory: a whole 8 MiB body per
        request made every range a fresh mapping (page faults, munmap) in a short-lived
        process, and a 256 KiB piece is still in cache when it is written out (1 MiB
        pieces were ~5% slower on SeaweedFS).

        If the caller names the file `write` writes to (`into`: its fd, writer lock and
        write size; same offsets) and a `moved(n)` callback, a plain-http S3 endpoint on
        Linux mostly skips `write`: the bytes are spliced into the file by the kernel
        (dsctl.storage.s3splice), moved(n) after each piece; `write` only gets what
        arrived with an answer's headers."""
        bucket, key = self.split(path)
        if end <= start:
            return 0
        if into is not None and moved is not None and self._splices():
            from .s3splice import splice_range

            return splice_range(self.s3, bucket, key, start, end, into, write, moved)
        import obstore

        _tune_malloc()   # only transfers of large objects need it (ctypes costs ~2 ms)
        r = obstore.get(self.store(bucket), key, options={"range": (start, end)})
        pos = start
        for piece in r.stream(min_chunk_size=chunk):
            write(piece, pos)
            pos += len(piece)
        return pos - start

    def put(self, path: str, data) -> None:
        bucket, key = self.split(path)
        if self.scheme == "s3":
            from .s3client import PUT_MAX

            if memoryview(data).nbytes <= PUT_MAX:   # the S3 client: less CPU per small object
                self.s3.put(bucket, key, data, content_type(key))
                return
        import obstore

        obstore.put(self.store(bucket), key, data, use_multipart=False, attributes=attributes(key))

    def put_new(self, path: str, data) -> bool:
        """Create-only PUT; False if the object already exists."""
        import obstore
        from obstore.exceptions import AlreadyExistsError, PreconditionError

        bucket, key = self.split(path)
        try:
            obstore.put(self.store(bucket), key, data, mode="create")
        except (AlreadyExistsError, PreconditionError):
            return False
        return True

    def delete(self, paths: list[str]) -> bool:
        """Delete objects in one bucket or container (S3 DeleteObjects, 1000 keys a
        request; Azure Blob Batch, 256); on S3 the keys obstore cannot name exactly
        (`dir/` markers, control characters) one DeleteObject each on dsctl's client.
        False, deleting nothing, when some path is one neither names exactly. One
        already gone is no error, as in S3."""
        if not paths:
            return False
        buckets = {self.split(p)[0] for p in paths}
        if len(buckets) != 1 or not all(buckets):
            return False
        odd = [p for p in paths if not self.usable(p)]
        if odd and (self.scheme != "s3" or any(not self.split(p)[1] for p in odd)):
            return False
        bucket = buckets.pop()
        plain = [self.split(p)[1] for p in paths if self.usable(p)]
        if plain:
            import obstore
            from obstore.exceptions import NotFoundError

            try:
                obstore.delete(self.store(bucket), plain)
            except NotFoundError:
                pass   # Azure names the missing blob; the batch's other deletes still happened
        for p in odd:
            self.s3.delete(bucket, self.split(p)[1])
        return True

    def writer(self, path: str, part_size: int, concurrency: int) -> "FastWriter":
        return FastWriter(self, path, part_size, concurrency)

    def can_copy(self, src: str, dst: str, size: int | None) -> bool:
        """Server-side copy this backend does itself, on dsctl's own clients: S3
        CopyObject (up to 5 GiB, within a bucket or across buckets of this endpoint),
        Azure Copy Blob (any two containers of this account, awaited)."""
        if size is None or not (self.usable(src) and self.usable(dst)):
            return False
        return self.scheme != "s3" or size <= MAX_COPY_OBJECT

    def copy(self, src: str, dst: str, wait=time.sleep) -> None:
        """`wait`: the pause between polls of an Azure copy still pending (see
        AzureClient.copy: an Event's wait aborts the copy once the Event is set)."""
        (sb, skey), (db, dkey) = self.split(src), self.split(dst)
        if self.scheme == "s3":   # one signed PUT each, no obstore import
            self.s3.copy(sb, skey, db, dkey)
        else:
            self.az.copy(sb, skey, db, dkey, wait)


class FastWriter:
    """Streams into an object: one PUT when small, else a multipart (S3) or block (Azure)
    upload with `concurrency` parts in flight. `abort` leaves nothing: S3
    AbortMultipartUpload; Azure's uncommitted blocks are discarded by the service."""

    def __init__(self, fb: FastBackend, path: str, part_size: int, concurrency: int):
        import obstore

        bucket, key = fb.split(path)
        _tune_malloc()
        self.w = obstore.open_writer(fb.store(bucket), key, buffer_size=part_size,
                                     max_concurrency=max(1, concurrency), attributes=attributes(key))

    def write(self, data) -> None:
        self.w.write(data)

    def commit(self) -> None:
        self.w.close()

    def abort(self) -> None:
        try:
            self.w.__exit__(RuntimeError, RuntimeError("aborted"), None)
        except Exception:  # noqa: BLE001 - already closed / nothing started
            pass
