"""The fast data path for S3 and Azure Blob: obstore (Rust) under the same Endpoint.

`resolve()` asks `backend_for(scheme, opts, make_fs)` for every s3:// and az:// URL.
`opts` are the fsspec options that dsctl.storage.options / profile_options built
(the one place credentials are decided); when they map one-to-one onto obstore's
configuration, the Endpoint gets an objstore.FastBackend as `ep.store`, and `ep.fs`
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
    segments) and S3 copies over 5 GiB (multipart copy).
Listings and HEADs use dsctl's own clients, storage.s3client and storage.azclient
(exact names, streamed page by page, Azure folder markers from blob metadata).
`DSCTL_FAST=0` turns the fast path off entirely.

Credentials reach obstore through a `credential_provider` callback that returns
exactly what the options say: obstore's own environment lookup (AWS_*, AZURE_*)
never adds a token or key that dsctl's precedence rules did not choose.
obstore is imported on first use, never by `dsctl --version`, `--help` or a
local copy.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .objstore import FastBackend

FAST_ENV = "DSCTL_FAST"
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

_cache: dict[tuple, "FastBackend"] = {}
_cache_lock = threading.Lock()


def enabled() -> bool:
    if os.environ.get(FAST_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    import importlib.util

    return importlib.util.find_spec("obstore") is not None


def key_ok(key: str) -> bool:
    """True if obstore names this key exactly (its paths drop empty and dot segments,
    and refuse ASCII control characters - a tab or newline is a legal S3 key)."""
    if not key or key.startswith("/") or key.endswith("/") or "//" in key:
        return False
    if not key.isprintable() and any(c < " " or c == "\x7f" for c in key):
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
    if set(ck) - {"region_name"} or set(cfgk) - {"retries", "connect_timeout", "read_timeout", "s3",
                                                 "ignore_configured_endpoint_urls"} \
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


def _frozen(v: Any) -> Any:
    """A hashable stand-in for an options value (objects by identity), for the cache key."""
    if isinstance(v, dict):
        return tuple(sorted((str(k), _frozen(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(_frozen(x) for x in v)
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return f"<{id(v)}>"


def backend_for(scheme: str, opts: dict, make_fs: Callable[[], Any]) -> "FastBackend | None":
    """The fast backend for these options (one per distinct options), or None."""
    if scheme not in ("s3", "az") or not enabled():
        return None
    settings = _s3_settings(opts) if scheme == "s3" else _azure_settings(opts)
    if settings is None:
        return None
    ident = (scheme, _frozen(opts))
    with _cache_lock:
        fb = _cache.get(ident)
        if fb is None:
            from .objstore import FastBackend

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
