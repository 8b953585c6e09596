"""The fast data path for S3 and Azure Blob: obstore (Rust) under the same Endpoint.

`resolve()` asks `backend_for(scheme, opts, make_fs)` for every s3:// and az:// URL.
`opts` are the fsspec options that dsctl.storage.options / profile_options built
(the one place credentials are decided); when they map one-to-one onto obstore's
configuration, the Endpoint gets a `FastBackend` as `ep.store`, and `ep.fs`
becomes a `LazyFS` that builds the fsspec filesystem only if something asks
for it. The engine moves bytes through `ep.store` (GET, ranged GET, PUT,
multipart/block uploads with abort, server-side copy) and falls back to `ep.fs`
for whatever the fast path does not cover.

Mapped (fast path):
  * S3: an explicit key + secret (+ session token) - auth `keyring`, `env` with
    AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or no profile with those variables -
    or `anonymous`; a custom endpoint (http or https), or AWS with a known region;
    path-style / virtual-hosted addressing.
  * Azure: an account key, from a connection string or account name + key.
Left to fsspec (s3fs / adlfs), always correct, slower to start:
  * S3 `aws_profile`, `command`, `role_arn` (refreshing sessions), the default
    credential chain (~/.aws, IMDS, SSO), AWS without a region (botocore finds the
    bucket's region), any proxy variable (HTTP(S)_PROXY, ALL_PROXY).
  * Azure SAS tokens, service principals, DefaultAzureCredential, anonymous,
    command credentials, `abfs://container@account...` URLs.
  * GCS and every other protocol.
  * Per object: keys obstore cannot name exactly (a trailing '/', '//' or '.'/'..'
    segments), S3 copies over 5 GiB (multipart copy) and copies across buckets.
Listings of S3 use dsctl.storage.s3list (exact keys, streamed page by page).
`DSCTL_FAST=0` turns the fast path off entirely.

Credentials reach obstore through a `credential_provider` callback that returns
exactly what the options say: obstore's own environment lookup (AWS_*, AZURE_*)
never adds a token or key that dsctl's precedence rules did not choose.
obstore is imported on first use, never by `dsctl --version`, `--help` or a
local copy.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import timedelta
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from .. import redact

FAST_ENV = "DSCTL_FAST"
MAX_COPY_OBJECT = 5 * 1024 ** 3   # S3 CopyObject's limit; larger copies are multipart (s3fs)
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

_cache: dict[str, "FastBackend"] = {}
_cache_lock = threading.Lock()


def enabled() -> bool:
    if os.environ.get(FAST_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    import importlib.util

    return importlib.util.find_spec("obstore") is not None


def key_ok(key: str) -> bool:
    """True if obstore names this key exactly (its paths drop empty and dot segments)."""
    if not key or key.startswith("/") or key.endswith("/") or "//" in key:
        return False
    return not any(seg in (".", "..") for seg in key.split("/"))


class LazyFS:
    """Stands in for an fsspec filesystem; builds it on first use (thread-safe)."""

    def __init__(self, factory: Callable[[], Any]):
        self._factory = factory
        self._fs = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        return self._fs is not None

    def _get(self) -> Any:
        if self._fs is None:
            with self._lock:
                if self._fs is None:
                    self._fs = self._factory()
        return self._fs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __repr__(self) -> str:
        return f"LazyFS({self._fs!r})" if self._fs is not None else "LazyFS(<not built>)"


# -- option mapping -----------------------------------------------------------------------

def _proxy_set() -> bool:
    return any(os.environ.get(v) for v in _PROXY_VARS)


def _s3_settings(opts: dict) -> dict | None:
    """obstore settings for s3fs options, or None when they cannot be mapped exactly."""
    if set(opts) - {"config_kwargs", "key", "secret", "token", "endpoint_url", "client_kwargs", "anon"}:
        return None   # profile=, session= (aws_profile, command, role_arn), anything new
    ck = opts.get("client_kwargs") or {}
    cfgk = opts.get("config_kwargs") or {}
    s3c = cfgk.get("s3") or {}
    if set(ck) - {"region_name"} or set(cfgk) - {"retries", "connect_timeout", "read_timeout", "s3"} \
            or set(s3c) - {"addressing_style"} or _proxy_set():
        return None
    anon = bool(opts.get("anon"))
    key, secret, token = opts.get("key"), opts.get("secret"), opts.get("token")
    if not anon and not (key and secret):
        return None   # the default credential chain is botocore's business
    endpoint, region = opts.get("endpoint_url"), ck.get("region_name")
    style = s3c.get("addressing_style")
    if endpoint:
        if not str(endpoint).startswith(("http://", "https://")):
            return None
        region = region or "us-east-1"
        virtual = style == "virtual"
    else:
        if not region:
            return None
        endpoint = f"https://s3.{region}.amazonaws.com"
        virtual = style != "path"
    return {"scheme": "s3", "endpoint": str(endpoint).rstrip("/"), "region": region,
            "virtual": virtual, "anon": anon, "key": key, "secret": secret, "token": token,
            "connect_timeout": cfgk.get("connect_timeout", 10),
            "read_timeout": cfgk.get("read_timeout", 60),
            "attempts": int((cfgk.get("retries") or {}).get("total_max_attempts", 4))}


def _conn_fields(cs: str) -> dict[str, str]:
    out = {}
    for part in cs.split(";"):
        k, sep, v = part.partition("=")
        if sep:
            out[k.strip().lower()] = v.strip()
    return out


def _azure_settings(opts: dict) -> dict | None:
    if _proxy_set():
        return None
    if set(opts) == {"connection_string"}:
        f = _conn_fields(opts["connection_string"])
        account, key = f.get("accountname"), f.get("accountkey")
        if not (account and key) or f.get("sharedaccesssignature") or f.get("usedevelopmentstorage"):
            return None
        endpoint = f.get("blobendpoint")
        if not endpoint:
            proto = f.get("defaultendpointsprotocol", "https")
            endpoint = f"{proto}://{account}.blob.{f.get('endpointsuffix', 'core.windows.net')}"
    elif set(opts) == {"account_name", "account_key"}:
        account, key = opts["account_name"], opts["account_key"]
        endpoint = f"https://{account}.blob.core.windows.net"
    else:
        return None
    if not str(endpoint).startswith(("http://", "https://")):
        return None
    return {"scheme": "az", "endpoint": str(endpoint).rstrip("/"), "account": account, "key": key}


def backend_for(scheme: str, opts: dict, make_fs: Callable[[], Any]) -> "FastBackend | None":
    """The fast backend for these options (one per distinct options), or None."""
    if scheme not in ("s3", "az") or not enabled():
        return None
    settings = _s3_settings(opts) if scheme == "s3" else _azure_settings(opts)
    if settings is None:
        return None
    try:
        ident = json.dumps([scheme, opts], sort_keys=True, default=lambda o: f"<{id(o)}>")
    except (TypeError, ValueError):
        return None
    with _cache_lock:
        fb = _cache.get(ident)
        if fb is None:
            fb = _cache[ident] = FastBackend(settings, LazyFS(make_fs))
    return fb


def strip_protocol(scheme: str, raw: str) -> str | None:
    """The store path of a URL (as s3fs/adlfs would name it), or None to let fsspec decide."""
    _, sep, rest = raw.partition("://")
    if not sep:
        return None
    if scheme == "az" and any(c in rest for c in "@?#"):
        return None   # abfs://container@account.host/... and query/fragment parsing: adlfs's rules
    return rest.rstrip("/") or rest


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


class FastBackend:
    """obstore stores (one per bucket/container) for one set of options."""

    def __init__(self, settings: dict, fs: LazyFS):
        self.s = settings
        self.scheme = settings["scheme"]
        self.fs = fs
        self._stores: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._lister = None
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
            from .s3list import cafile_from_env

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
        _tune_malloc()
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

    @property
    def lister(self):
        if self._lister is None and self.scheme == "s3":
            from .s3list import S3Lister, S3Target, cafile_from_env

            s = self.s
            self._lister = S3Lister(S3Target(
                s["endpoint"], s["region"], None if s["anon"] else s["key"],
                None if s["anon"] else s["secret"], s.get("token"), s["virtual"],
                cafile_from_env(), float(s.get("read_timeout", 60)), int(s.get("attempts", 4))))
        return self._lister

    # -- data ---------------------------------------------------------------------------

    def get(self, path: str, start: int | None = None, end: int | None = None):
        """The object's bytes (a buffer), or bytes [start, end)."""
        import obstore

        bucket, key = self.split(path)
        st = self.store(bucket)
        if start is None:
            return obstore.get(st, key).bytes()
        if end is not None and end <= start:
            return b""
        return obstore.get_range(st, key, start=start, end=end)

    def read_into(self, path: str, start: int, end: int, write: Callable[[Any, int], None],
                  chunk: int = 1024 * 1024) -> int:
        """Stream bytes [start, end) to write(buffer, offset) in ~`chunk` pieces; returns
        the count. Small pieces recycle the allocator's memory: a whole 8 MiB body per
        request made every range a fresh mapping (page faults, munmap) in a short-lived
        process."""
        import obstore

        bucket, key = self.split(path)
        if end <= start:
            return 0
        r = obstore.get(self.store(bucket), key, options={"range": (start, end)})
        pos = start
        for piece in r.stream(min_chunk_size=chunk):
            write(piece, pos)
            pos += len(piece)
        return pos - start

    def put(self, path: str, data) -> None:
        import obstore

        bucket, key = self.split(path)
        obstore.put(self.store(bucket), key, data, use_multipart=False)

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

    def writer(self, path: str, part_size: int, concurrency: int) -> "FastWriter":
        return FastWriter(self, path, part_size, concurrency)

    def can_copy(self, src: str, dst: str, size: int | None) -> bool:
        """Server-side copy this backend does itself (S3 CopyObject in one bucket)."""
        if self.scheme != "s3" or size is None or size > MAX_COPY_OBJECT:
            return False
        return (self.usable(src) and self.usable(dst)
                and self.split(src)[0] == self.split(dst)[0])

    def copy(self, src: str, dst: str) -> None:
        import obstore

        bucket, skey = self.split(src)
        obstore.copy(self.store(bucket), skey, self.split(dst)[1], overwrite=True)

    # -- metadata -----------------------------------------------------------------------

    def head(self, path: str) -> dict:
        import obstore

        bucket, key = self.split(path)
        m = obstore.head(self.store(bucket), key)
        info = {"name": path, "size": m["size"], "type": "file", "LastModified": m.get("last_modified"),
                "ETag": m.get("e_tag")}
        if self.scheme == "s3":
            info.update(Key=key, Size=m["size"])
            if m.get("version"):
                info["VersionId"] = m["version"]
        return info

    def info(self, path: str) -> dict | None:
        """fsspec-style info (file or directory), FileNotFoundError if absent, or None
        when fsspec should answer (odd keys; Azure's zero-byte folder markers)."""
        bucket, key = self.split(path)
        if not bucket:
            return None
        if not key:
            self._any_below(bucket, "")   # raises for a missing bucket / container
            return {"name": bucket, "type": "directory", "size": 0}
        if not key_ok(key):
            return None
        try:
            meta = self.head(path)
        except FileNotFoundError:
            meta = None
        if meta is not None:
            if self.scheme == "az" and meta["size"] == 0:
                return None   # maybe an hdi_isfolder marker: adlfs knows
            return meta
        if self._any_below(bucket, key + "/"):
            return {"name": path, "type": "directory", "size": 0}
        raise FileNotFoundError(path)

    def exists(self, path: str) -> bool | None:
        if not self.usable(path):
            return None
        try:
            self.head(path)
            return True
        except FileNotFoundError:
            return False

    def _any_below(self, bucket: str, prefix: str) -> bool:
        if self.scheme == "s3":
            return self.lister.any_below(bucket, prefix)
        import obstore

        for chunk in obstore.list(self.store(bucket), prefix=prefix or None, chunk_size=1):
            return bool(chunk)
        return False

    def iter_files(self, root: str) -> Iterator[tuple[str, dict]] | None:
        """(path, info) of every object below a directory path, streamed; None if not here."""
        if self.scheme != "s3":
            return None
        bucket, key = self.split(root.rstrip("/"))
        if not bucket:
            return None
        prefix = key + "/" if key else ""
        return ((o["name"], o) for o in self.lister.iter_objects(bucket, prefix))


class FastWriter:
    """Streams into an object: one PUT when small, else a multipart (S3) or block (Azure)
    upload with `concurrency` parts in flight. `abort` leaves nothing: S3
    AbortMultipartUpload; Azure's uncommitted blocks are discarded by the service."""

    def __init__(self, fb: FastBackend, path: str, part_size: int, concurrency: int):
        import obstore

        bucket, key = fb.split(path)
        self.w = obstore.open_writer(fb.store(bucket), key, buffer_size=part_size,
                                     max_concurrency=max(1, concurrency))

    def write(self, data) -> None:
        self.w.write(data)

    def commit(self) -> None:
        self.w.close()

    def abort(self) -> None:
        try:
            self.w.__exit__(RuntimeError, RuntimeError("aborted"), None)
        except Exception:  # noqa: BLE001 - already closed / nothing started
            pass
