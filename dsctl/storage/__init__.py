"""One way in to storage: `resolve(url) -> Endpoint(fs, path)`.

Everything else in dsctl talks to stores through the fsspec filesystem an
Endpoint carries. Backends are imported here, on first use of their scheme.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterator

from .. import config, redact
from ..errors import Unsupported, UsageError
from . import options as _options
from . import registry
from .translate import translating
from .urls import Location, join, parse


@dataclass(frozen=True)
class Endpoint:
    """A store (fsspec filesystem) and a path in it, plus how to print it."""

    fs: Any
    path: str
    loc: Location
    backend: registry.Backend
    alias: tuple[str, str] | None = None   # (store path of a profile root, "ds://name")
    store: Any = None   # an objstore.FastBackend (obstore data path) for s3/az, else None

    def __iter__(self) -> Iterator[Any]:  # so that `fs, path = resolve(url)` works
        yield self.fs
        yield self.path

    @property
    def is_local(self) -> bool:
        return self.backend.scheme == "local"

    @property
    def is_stdio(self) -> bool:
        return self.loc.scheme == "-"

    @property
    def concurrent_safe(self) -> bool:
        """Whether many threads may use this store at once. fsspec's async backends and
        the built-in ones are; a sync pass-through (ftp, sftp) holds one connection."""
        if self.fs is None or self.backend.options != "passthrough":
            return True
        from fsspec.asyn import AsyncFileSystem

        return isinstance(self.fs, AsyncFileSystem)

    def same_store(self, other: "Endpoint") -> bool:
        """Whether both endpoints may name the same data: the local filesystem, one fsspec
        filesystem, or fast backends at one service endpoint (and Azure account) - their
        credentials or addressing (a profile's path_style) may differ, the objects not."""
        if self.is_stdio or other.is_stdio:
            return False
        if self.is_local or other.is_local:
            return self.is_local and other.is_local
        if self.store is not None and other.store is not None:
            return self.store is other.store or _place(self.store) == _place(other.store)
        if self.store is not None or other.store is not None:
            return False
        return self.fs is not None and self.fs is other.fs

    def below(self, other: "Endpoint") -> str | None:
        """`other`'s path relative to this one ("" if the same) when it is this path or
        lies below it in the same store, else None (local paths compared after
        resolving symlinks)."""
        if not self.same_store(other):
            return None
        a, b = self.path, other.path
        if self.is_local:
            a, b = os.path.realpath(a), os.path.realpath(b)
        a, b = a.rstrip("/"), b.rstrip("/")
        if a == b:
            return ""
        if not a or b.startswith(a + "/"):
            return b[len(a):].lstrip("/")
        return None

    def contains(self, other: "Endpoint") -> bool:
        """Whether `other` is this path or lies below it, in the same store."""
        return self.below(other) is not None

    def url(self, path: str | None = None) -> str:
        """The user-facing URL of `path` (default: this endpoint's path)."""
        p = self.path if path is None else path
        if self.is_stdio:
            return "-"
        if self.alias is not None:
            root, shown = self.alias
            root = root.rstrip("/")
            if p.rstrip("/") == root:
                return shown
            if not root or p.startswith(root + "/"):
                return f"{shown}/{p[len(root):].lstrip('/')}"
        if self.backend.scheme in ("local", "http"):
            return p
        if self.backend.scheme == "memory":
            return "memory://" + p.lstrip("/")
        return f"{self.loc.given_scheme}://{p}"

    def child(self, rel: str) -> "Endpoint":
        """The endpoint for `rel` below this one."""
        return self.at(join(self.path, rel))

    def at(self, path: str) -> "Endpoint":
        """The endpoint for another path in the same store."""
        # dataclasses.replace re-runs the frozen __init__ (~10x slower); the planner
        # makes two of these per file, so copy the fields directly.
        ep = object.__new__(Endpoint)
        d = ep.__dict__
        d.update(self.__dict__)
        d["path"] = path
        return ep

    def as_written(self) -> "Endpoint":
        """This endpoint with its wildcard characters read as part of the name."""
        ep = self.at(self.path)
        ep.__dict__["loc"] = self.loc._replace(literal=True)
        return ep

    def writable_or_raise(self) -> None:
        if not self.backend.writable:
            raise Unsupported(f"{self.loc.given_scheme}:// is read-only", self.loc.raw)


STDIO = registry.Backend("-", "-", "local", server_side_copy=False)


def resolve(url: str, *, for_write: bool = False, allow_root: bool = False) -> Endpoint:
    """Parse `url`, build its store's filesystem and return the Endpoint.

    Raises UsageError for malformed URLs and unknown schemes, Unsupported for
    writes to read-only stores (before any network call) and for missing
    backend packages. `allow_root`: a bare `s3://`, `gs://` or `az://` (the
    account's buckets or containers) is a place, for `ls`.
    """
    loc = parse(url, allow_root=allow_root)
    if loc.scheme == "-":
        return Endpoint(None, "-", loc, STDIO)
    if loc.scheme == "ds":
        return _resolve_profile_url(loc, for_write)
    if loc.scheme == "store":
        if for_write:
            raise Unsupported("store:// URLs are read-only; use 'dsctl artifact log'", url)
        from ..artifacts.uri import resolve_store_url  # imported only for store:// URLs

        return resolve_store_url(url)
    backend = _backend(loc, for_write)
    profile = None
    if loc.scheme in ("s3", "gs", "az", "http"):
        from ..profiles.effective import profile_for_bare_url

        profile = profile_for_bare_url(backend.scheme)
    fs, store = _stores(backend, url, profile)
    return Endpoint(fs, _path_of(fs, loc, store), loc, backend, store=store)


def _backend(loc: Location, for_write: bool) -> registry.Backend:
    backend = registry.lookup(loc.scheme) or registry.passthrough(loc.scheme)
    if backend is None:
        raise UsageError(f"unknown scheme '{loc.given_scheme}://'", loc.raw)
    if for_write:
        Endpoint(None, "", loc, backend).writable_or_raise()
    return backend


def _resolve_profile_url(loc: Location, for_write: bool) -> Endpoint:
    """ds://name/path: the profile's store, the path joined onto its root."""
    from ..profiles.effective import ds_target

    name, _, rest = loc.rest.partition("/")
    profile, target, root_url = ds_target(name, rest)
    if loc.raw.endswith("/") and not target.endswith("/"):
        target += "/"
    tloc = parse(target, allow_root=True)
    backend = _backend(tloc, for_write)
    fs, store = _stores(backend, loc.raw, profile)
    root = _path_of(fs, parse(root_url, allow_root=True), store)
    return Endpoint(fs, _path_of(fs, tloc, store), tloc, backend, alias=(root, f"ds://{name}"),
                    store=store)


def _stores(backend: registry.Backend, url: str, profile=None) -> tuple[Any, Any]:
    """(fsspec filesystem, fast backend or None). With a fast backend the filesystem
    is a LazyFS, built (and its SDK imported) only if something needs it."""
    if backend.scheme == "local":
        # the engine, planner and lister use os.* for local paths; fsspec is imported
        # only by what still needs it (ls, rm, glob)
        from .fast import LazyFS

        return LazyFS(lambda: _filesystem(backend, url, profile)), None
    if backend.scheme in ("s3", "az"):
        from . import fast

        if fast.enabled():
            with translating(url):
                opts = _options.build(backend.options, profile)
            store = fast.backend_for(backend.scheme, opts,
                                     lambda: _filesystem(backend, url, profile, opts))
            if store is not None:
                return store.fs, store
            return _filesystem(backend, url, profile, opts), None
    return _filesystem(backend, url, profile), None


def _quiet_library_logs() -> None:
    """gcsfs and azure-identity log warnings and whole tracebacks (each retry, each
    credential tried) through Python's last-resort handler: dozens of lines on stderr
    before dsctl's one-line error (SPEC section 3). Unless --debug, nobody hears them.
    `logging` is already imported by fsspec here: it costs no start-up."""
    import logging

    root = logging.getLogger()
    if not root.handlers and not config.current().debug:
        root.addHandler(logging.NullHandler())


def _filesystem(backend: registry.Backend, url: str, profile=None, opts: dict | None = None) -> Any:
    _quiet_library_logs()
    for k, v in backend.env_setup:
        os.environ.setdefault(k, v)
    if backend.package:
        try:
            __import__(backend.package)
        except ImportError:
            raise Unsupported(f"{backend.scheme}:// needs the '{backend.package}' package: "
                              f"{backend.install}", url) from None
    import fsspec

    if opts is None:
        with translating(url):
            opts = _options.build(backend.options, profile)
    try:
        cls = fsspec.get_filesystem_class(backend.protocol)
    except (ImportError, ValueError) as exc:
        raise Unsupported(f"{backend.scheme}:// is not usable here: {backend.install}", url) from exc
    if backend.options == "passthrough":
        # host, port and user:password@ of e.g. sftp:// or ftp:// URLs, as fsspec.url_to_fs does
        opts = {**cls._get_kwargs_from_urls(url), **opts}
        redact.register(opts.get("password"))
    if backend.options == "passthrough":
        try:
            return cls(**opts)
        except TypeError as e:   # e.g. dbfs:// without its instance and token
            raise UsageError(f"{backend.scheme}:// needs options a URL cannot give ({e})", url) from None
        except (ImportError, OSError) as e:   # hdfs:// without libjvm: not usable here
            first = (str(e).splitlines() or [type(e).__name__])[0][:200]   # libjvm lists 100 paths
            raise Unsupported(f"{backend.scheme}:// is not usable here: {first}", url) from None
    with translating(url):
        return cls(**opts)


def _path_of(fs: Any, loc: Location, store: Any = None) -> str:
    if loc.scheme == "local":
        p = os.path.abspath(os.path.expanduser(loc.rest))
        return p
    if loc.scheme == "http":
        return loc.raw.rstrip("/") if not loc.raw.endswith("://") else loc.raw
    if store is not None:
        from .fast import strip_protocol

        p = strip_protocol(loc.scheme, loc.raw)
        if p is not None:
            return p
    # the scheme as parse() spelt it: fsspec strips only a lower-case `gs://` (`GS://b/k`
    # was taken for the key `GS://b/k`)
    p = fs._strip_protocol(f"{loc.given_scheme}://{loc.rest}" if "://" in loc.raw else loc.raw)
    return p.rstrip("/") or p


def _place(store) -> tuple:
    """Where a fast backend's objects live, whoever asks and however it is addressed."""
    s = store.s
    return s["scheme"], s["endpoint"], s.get("account")
