"""A read-only filesystem that serves known files from another one and checks their hashes.

`VerifiedFS(inner, files)` maps its own paths to (inner path, size, sha256).
Every read is hashed as it goes; when a file has been read in order to its
end the digest is compared and a mismatch raises IntegrityError (exit 6)
*before* the last bytes are handed out, so the engine aborts the
destination and nothing is left behind. With `strict`, a read that is not
in order is an error; otherwise such a file is simply not verified (cp with
parallel ranged reads).

`version_endpoint` is a stored version as a tree below
`<kind>/<project>/<key>#<version>/<name>` (what store:// URLs resolve to;
URLs print as `store://…`). Directory versions are served from their
manifest, so `cp -r`/`download` of a store:// URL just work. (`artifact get`
plans with it but copies from the blobs, the engine checking each hash.)
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from dataclasses import dataclass

from fsspec.spec import AbstractFileSystem

from ..errors import IntegrityError
from ..storage import Endpoint, registry
from ..storage.urls import parse
from . import layout, storeio

STORE = registry.Backend("store", "store", "local", writable=False, server_side_copy=False,
                         display="store://")


@dataclass(frozen=True)
class Ref:
    inner: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ViewEndpoint(Endpoint):
    """An Endpoint over a VerifiedFS; prints its paths as `display` would, if given."""

    display: Endpoint | None = None

    @property
    def is_local(self) -> bool:
        return False

    def url(self, path: str | None = None) -> str:
        if self.display is None:
            return super().url(path)
        return self.display.url(self.path if path is None else path)


class VerifiedFS(AbstractFileSystem):
    protocol = "store"
    cachable = False
    root_marker = ""

    def __init__(self, inner, files: dict[str, Ref], root: str, *, strict: bool, mismatch: str,
                 show=lambda p: p, created: str | None = None):
        super().__init__()
        self.inner, self.files, self.strict, self.mismatch, self.show = inner, files, strict, mismatch, show
        self.created = created
        self.dirs = {root} if root not in files else set()
        for p in files:
            while "/" in p and p != root and p.startswith(root + "/"):
                p = p.rsplit("/", 1)[0]
                self.dirs.add(p)
        self._state: dict[str, list] = {}
        self._lock = threading.Lock()

    def _key(self, path: str) -> str:
        path = str(path)
        return (path[len("store://"):] if path.startswith("store://") else path).rstrip("/")

    def info(self, path, **kwargs):
        p = self._key(path)
        if p in self.files:
            ref = self.files[p]
            out = {"name": p, "size": ref.size, "type": "file", "sha256": ref.sha256}
            return {**out, "created": self.created} if self.created else out
        if p in self.dirs:
            return {"name": p, "size": 0, "type": "directory"}
        raise FileNotFoundError(path)

    def ls(self, path, detail=True, **kwargs):
        p = self._key(path)
        if p in self.files:
            entries = [self.info(p)]
        elif p in self.dirs:
            kids = {q[len(p) + 1:].split("/", 1)[0] for q in (*self.files, *self.dirs) if q.startswith(p + "/")}
            entries = [self.info(f"{p}/{k}") for k in sorted(kids)]
        else:
            raise FileNotFoundError(path)
        return entries if detail else [e["name"] for e in entries]

    def find(self, path, maxdepth=None, withdirs=False, detail=False, **kwargs):
        p = self._key(path)
        names = sorted(q for q in self.files if q == p or q.startswith(p + "/"))
        if not names and p not in self.dirs:
            return {} if detail else []
        return {n: self.info(n) for n in names} if detail else names

    def cat_file(self, path, start=None, end=None, **kwargs):
        p = self._key(path)
        ref = self._ref(p)
        data = self.inner.cat_file(ref.inner, start=start, end=end)
        self._check(p, ref, start or 0, data)
        return data

    def _open(self, path, mode="rb", block_size=None, autocommit=True, cache_options=None, **kwargs):
        if mode != "rb":
            raise PermissionError("store:// content is read-only")
        p = self._key(path)
        ref = self._ref(p)
        return _Reader(self, p, ref, self.inner.open(ref.inner, "rb", block_size=block_size, **kwargs))

    def _ref(self, p: str) -> Ref:
        if p not in self.files:
            raise FileNotFoundError(p)
        return self.files[p]

    def _check(self, p: str, ref: Ref, start: int, data: bytes) -> None:
        if not data and start > 0:
            return  # a read at end of file
        with self._lock:
            st = self._state.get(p)
            if start == 0:
                st = self._state[p] = [0, hashlib.sha256(), threading.Lock(), False]
        if st is None or st[3]:
            return self._unverifiable(p)
        with st[2]:
            if st[0] != start:
                st[3] = True
                return self._unverifiable(p)
            st[1].update(data)
            st[0] = start + len(data)
            done = st[0] >= ref.size
        if done:
            with self._lock:
                self._state.pop(p, None)
            if st[0] != ref.size or st[1].hexdigest() != ref.sha256:
                raise IntegrityError(f"{self.mismatch} (expected sha256:{ref.sha256[:16]}…)", self.show(p))

    def _unverifiable(self, p: str) -> None:
        if self.strict:
            raise IntegrityError("content was read out of order and cannot be verified", self.show(p))


class _Reader(io.IOBase):
    """A file object that feeds what it reads to VerifiedFS._check."""

    def __init__(self, fs: VerifiedFS, p: str, ref: Ref, f):
        super().__init__()
        self.fs, self.p, self.ref, self.f, self.pos = fs, p, ref, f, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.f.seekable()

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.fs._check(self.p, self.ref, self.pos, data)
        self.pos += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = self.f.seek(offset, whence)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def close(self) -> None:
        try:
            self.f.close()
        finally:
            super().close()


def version_endpoint(project_ep: Endpoint, record: dict, url: str, *, strict: bool) -> ViewEndpoint:
    """The content of one version as a read-only Endpoint (see module doc)."""
    from .uri import collection_of

    root = (f"{collection_of(record['kind'])}/{record['project']}/{record['key']}#{record['version']}/"
            f"{record['name']}")
    digest = record["hash"].split(":", 1)[1]
    blob_path = lambda h: project_ep.child(layout.blob(h)).path  # noqa: E731
    if record["type"] == "dir":
        manifest = read_manifest(project_ep, digest)
        files = {f"{root}/{rel}": Ref(blob_path(m["sha256"]), m["size"], m["sha256"])
                 for rel, m in manifest["files"].items()}
    else:
        files = {root: Ref(blob_path(digest), record["size"], digest)}
    fs = VerifiedFS(project_ep.fs, files, root, strict=strict, show=lambda p: f"store://{p}",
                    mismatch="stored content does not match its hash (damaged or tampered)",
                    created=record.get("created"))
    return ViewEndpoint(fs, root, parse(url), STORE)


def read_manifest(project_ep: Endpoint, digest: str) -> dict:
    ep = project_ep.child(layout.blob(digest))
    data = storeio.read_bytes(ep)
    if hashlib.sha256(data).hexdigest() != digest:
        raise IntegrityError("directory manifest does not match its hash (damaged or tampered)", ep.url())
    return json.loads(data)
