"""`artifact log`: store a new version (get is in fetch.py; list/show/tag in catalog.py).

log: hash the source, stop if it equals the latest version (unless force),
upload missing blobs through the engine, then claim the next version number
with a create-only write of the record, retrying on conflict. A record is
never written before all of its content is stored, and never overwritten.

A record holds: schema, project, key, version, kind, format, name (the
source's base name, used when the version is copied out), type (file|dir),
size, files, hash ("sha256:…"; a directory's is its manifest's), created
(UTC), labels, description, origin (the source URL), sources (lineage:
store:// URIs pinned to uids, other URLs as given), producer, dataset
(datasets only: rows, schema, preview, stats), and uid.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from ..engine import events as ev
from ..errors import TransientError, UsageError
from ..ops.transfer import outcome
from ..redact import scrub
from ..storage.translate import translating
from . import layout, records, storeio
from .content import scan, store_manifest, upload
from .history import History
from .producer import producer
from .root import artifact_root, project_endpoint
from .uri import COLLECTIONS, collection_of, parse_uri

CLAIM_ATTEMPTS = 64


@dataclass
class LogRequest:
    src: str
    uri: str
    kind: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    description: str | None = None
    force: bool = False
    command: list[str] | None = None
    jobs: int = 32


@dataclass
class LogResult:
    record: dict
    uri: str
    created: bool                       # False: identical to the latest version
    summary: ev.Summary | None = None
    warnings: list[str] = field(default_factory=list)


def log(req: LogRequest, sink: ev.Sink = ev.null_sink) -> LogResult:
    """Store a new version of SRC under store://<kind>/<project>/<key>[:tag]."""
    target = parse_uri(req.uri)
    if target.version is not None or target.uid is not None:
        raise UsageError("artifact log takes store://<kind>/<project>/<key>[:tag], no #version or @uid",
                         req.uri)
    if target.tag == "latest":
        raise UsageError("'latest' always means the highest version; it cannot be set", req.uri)
    wanted = COLLECTIONS[target.collection]
    if req.kind and wanted and req.kind != wanted:
        raise UsageError(f"a {req.kind} does not belong in store://{target.collection}/ "
                         f"(use store://{collection_of(req.kind)}/…)", req.uri)
    kind = asked = req.kind or wanted   # None: store://artifacts/ without --kind
    if kind == "dataset":
        from .dataset import require_pyarrow

        require_pyarrow()
    project_ep = project_endpoint(target.project, for_write=True)
    warnings = []
    if not storeio.create_only_supported(project_ep):
        warnings.append(f"{project_ep.backend.scheme}:// cannot write create-only; concurrent "
                        f"'artifact log's to this root could overwrite each other's versions")
    sources = [pin(s) for s in req.sources]
    content = scan(req.src, target.key, artifact_root(project_ep))
    if req.src.lower().startswith("store://"):   # logging from a version: that is lineage too
        origin = pin(req.src)
        sources = [origin] + [s for s in sources if s != origin]
    kind = kind or ("dir" if content.is_dir else "file")
    if content.is_dir and kind in ("file", "dataset"):
        raise UsageError(f"--kind {kind} needs a single file; SRC is a directory", content.ep.url())
    if not content.is_dir and kind == "dir":
        raise UsageError("--kind dir needs a directory; SRC is a file", content.ep.url())
    fmt, dataset = _format_and_dataset(content, kind)
    history = History(project_ep, target.project, target.key)
    user = producer(req.command)
    latest = history.latest()
    digest = "sha256:" + content.sha256
    if _same(latest, digest, asked) and not req.force:
        # No new version - but a blob of it may be damaged (a size unlike the content's):
        # mend it, so that logging the same bytes again is how a version is repaired
        # (one listing per shard, as for a new version; nothing moves when all is well).
        mended = upload(content, project_ep, sink, req.jobs)
        outcome(mended)
        if content.is_dir:
            store_manifest(content, project_ep)
        _tag(history, target.tag, latest, user)
        return LogResult(latest, History.uri_of(latest), False, mended if mended.copied else None,
                         warnings)
    summary = upload(content, project_ep, sink, req.jobs)
    outcome(summary)
    if content.is_dir:
        store_manifest(content, project_ep)
    body = {"schema": records.SCHEMA, "project": target.project, "key": target.key, "version": 0,
            "kind": kind, "format": fmt, "name": content.name, "type": "dir" if content.is_dir else "file",
            "size": content.size, "files": len(content.files), "hash": digest, "created": "",
            "labels": dict(sorted(req.labels.items())), "description": req.description or "",
            "origin": scrub(content.ep.url()), "sources": sources, "producer": user}
    if dataset is not None:
        body["dataset"] = dataset
    record, created = _claim(history, body, req.force, latest["version"] if latest else 0, asked)
    _tag(history, target.tag, record, user)
    return LogResult(record, History.uri_of(record), created, summary, warnings)


def _format_and_dataset(content, kind: str) -> tuple[str, dict | None]:
    if content.is_dir:
        return "dir", None
    name = content.name
    if kind != "dataset":
        return (name.rsplit(".", 1)[1].lower() if "." in name.strip(".") else ""), None
    from .dataset import describe, detect_format

    ep = content.ep
    with translating(ep.url()):
        head = open(ep.path, "rb").read(4) if ep.is_local else ep.fs.cat_file(ep.path, start=0, end=4)
    fmt = detect_format(name, head)
    return fmt, describe(ep, fmt)


def _same(latest: dict | None, digest: str, asked: str | None) -> bool:
    """Whether logging `digest` as kind `asked` (None: any) is the latest version again.
    An asked kind counts: the same bytes logged to store://models/p/k after a dataset
    must be a model at the URI printed, not the dataset (store://models/ of which is
    not found)."""
    return bool(latest) and latest["hash"] == digest and asked in (None, latest.get("kind"))


def _claim(history: History, body: dict, force: bool, seen: int, asked: str | None) -> tuple[dict, bool]:
    """Write the record under the next free version number (create-only, retried).

    `seen` is the latest version log compared the content with (0: none). Unless
    `force`, whenever the latest version is now another one (logged concurrently,
    found on any attempt, the first included) its hash is compared again, so
    identical content never gets a second version: that version is returned,
    created=False."""
    for attempt in range(CLAIM_ATTEMPTS):
        versions = history.versions()
        top = versions[-1] if versions else 0
        if top and top != seen and not force:
            latest = history.record(top)
            if _same(latest, body["hash"], asked):
                return latest, False  # the same content was logged concurrently
            seen = top
        body.update(version=top + 1, created=records.now())
        record = records.seal(body)
        if storeio.put_new(history.at(layout.record(history.key, top + 1)), records.dumps(record)):
            return record, True
        time.sleep(random.uniform(0.005, 0.02 * min(attempt + 1, 10)))
    raise TransientError(f"could not claim a version after {CLAIM_ATTEMPTS} attempts (heavy contention)",
                         history.label())


def _tag(history: History, tag: str | None, record: dict, user: dict) -> None:
    if tag:
        history.set_tag(tag, record, f"{user['user']}@{user['host']}")


def pin(url: str) -> str:
    """A lineage entry: store:// URIs pinned to #version@uid, other URLs as given (scrubbed)."""
    if url.lower().startswith("store://"):
        uri = parse_uri(url)
        return History.uri_of(History(project_endpoint(uri.project), uri.project, uri.key).select(uri))
    from ..storage.urls import parse

    parse(url)
    return scrub(url)
