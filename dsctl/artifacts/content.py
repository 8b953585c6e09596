"""What `artifact log` stores: hash a source, then upload only the blobs the root lacks.

Pass 1 (`scan`) streams every source file once to hash it (bounded memory,
a few files at a time). A directory becomes a manifest,
`{"schema": "dsctl.manifest/v1", "files": {rel: {"sha256", "size"}}}` in
canonical JSON, and its hash is the hash of that manifest; so identical
content has an identical hash whether it is a file or a tree.

Pass 2 (`upload`) hands the transfer engine one item per distinct hash the
root does not have yet (objects/sha256/<aa>/<hash>), carrying the hash of pass
1 (Item.sha256): the engine checks the bytes it moves against it before the
blob is committed, so what is stored is exactly what was hashed - a file
changed in between fails the log (exit 6) and leaves no blob. Blobs already
present with the right size are reported as skipped (not read: the fast
path), so progress and --json look like cp; a blob of another size is damaged
and is stored again over it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..engine import events as ev
from ..engine.plan import Item, info, refused, walk_files
from ..engine.run import Engine, TransferOptions
from ..engine.streams import iter_chunks
from ..errors import UsageError
from ..storage import Endpoint, resolve
from ..storage.listing import not_a_file
from ..storage.urls import basename
from . import layout, records, storeio

CHUNK = 4 * 1024 * 1024
HASHERS = 8
MANIFEST_SCHEMA = "dsctl.manifest/v1"


@dataclass
class SourceFile:
    rel: str      # "" for a single file
    path: str     # path in the source store
    size: int
    sha256: str = ""


@dataclass
class Content:
    ep: Endpoint
    is_dir: bool
    name: str
    files: list[SourceFile] = field(default_factory=list)
    manifest: bytes | None = None

    @property
    def sha256(self) -> str:
        return records.sha256_hex(self.manifest) if self.is_dir else self.files[0].sha256

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def scan(src_url: str, key: str, root: Endpoint | None = None) -> Content:
    """Find and hash every file of the source (pass 1). An artifact `root` inside a
    source directory is left out of it: a log would otherwise take in the root's
    blobs and records, and every later log of the directory more of them."""
    ep = resolve(src_url)
    if ep.is_stdio:
        raise UsageError("artifact log needs a file, directory or URL, not stdin")
    meta = info(ep, want_dir=True)
    name = basename(ep.path) or key
    if meta.get("type") == "directory":
        skip = ep.below(root) if root is not None else None
        files = []
        for rel, m in walk_files(ep, links="follow"):
            if skip is not None and (skip == "" or rel == skip or rel.startswith(skip + "/")):
                continue
            if problem := not_a_file(m):   # a version holds every file or is not stored
                raise refused(problem, ep.child(rel).url())
            files.append(SourceFile(rel, _path(ep, rel, m), m.get("size")))
        if not files:
            why = "the directory is empty" if skip is None else "the directory holds only the artifact root"
            raise UsageError(f"nothing to log: {why}", ep.url())
        content = Content(ep, True, name, files)
    else:
        content = Content(ep, False, name, [SourceFile("", ep.path, meta.get("size"))])
    cancel = threading.Event()
    with ThreadPoolExecutor(min(HASHERS, len(content.files))) as pool:
        try:
            for f, (digest, size) in zip(content.files, pool.map(lambda f: _hash(ep, f, cancel), content.files)):
                f.sha256, f.size = digest, size
        except BaseException:
            cancel.set()
            raise
    if content.is_dir:
        content.manifest = records.canonical({"schema": MANIFEST_SCHEMA, "files": {
            f.rel: {"sha256": f.sha256, "size": f.size} for f in content.files}})
    return content


def _path(ep: Endpoint, rel: str, meta: dict) -> str:
    return meta["name"] if ep.backend.scheme == "http" else ep.path.rstrip("/") + "/" + rel


def _hash(ep: Endpoint, f: SourceFile, cancel: threading.Event) -> tuple[str, int]:
    import hashlib

    h, n = hashlib.sha256(), 0
    for chunk in iter_chunks(ep.at(f.path), f.size, CHUNK, cancel):
        h.update(chunk)
        n += len(chunk)
    return h.hexdigest(), n


def missing(project_ep: Endpoint, sizes: dict[str, int]) -> set[str]:
    """The digests (of `sizes`: digest -> size) that need storing: no blob yet, or a
    blob whose size is not the content's (damaged: stored again over it). A blob of
    the right size is trusted without reading it (one listing per shard directory)."""
    shards = sorted({d[:2] for d in sizes})
    present: dict[str, int | None] = {}
    with ThreadPoolExecutor(min(16, len(shards) or 1)) as pool:
        for found in pool.map(lambda s: storeio.list_sizes(project_ep.child(layout.shard(s))), shards):
            present.update(found)
    return {d for d, n in sizes.items() if d not in present or present[d] != n}


def upload(content: Content, project_ep: Endpoint, sink: ev.Sink, jobs: int = 32) -> ev.Summary:
    """Store every blob the root lacks, or holds with the wrong size, through the
    engine (pass 2)."""
    todo = missing(project_ep, {f.sha256: f.size for f in content.files})
    items, seen = [], set()
    for f in content.files:
        if f.sha256 in seen:
            continue  # the same bytes twice in one tree: stored once
        seen.add(f.sha256)
        items.append(Item(content.ep.at(f.path), project_ep.child(layout.blob(f.sha256)), f.size,
                          f.rel or content.name, sha256=f.sha256))
    opts = TransferOptions(jobs=jobs, skip_existing=True)
    return Engine(opts, sink).run(items, lambda item: basename(item.dst.path) not in todo)


def store_manifest(content: Content, project_ep: Endpoint) -> None:
    """Store a directory's manifest blob: create-only, but one already there with
    another size is damaged and is replaced (the bytes are content-addressed, so
    concurrent writers write the same ones)."""
    ep = project_ep.child(layout.blob(content.sha256))
    if storeio.put_new(ep, content.manifest):
        return
    if missing(project_ep, {content.sha256: len(content.manifest)}):
        storeio.put(ep, content.manifest)
