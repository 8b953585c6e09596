"""`artifact get`: copy one version out, verifying every byte against its sha256.

DEST follows cp's rules (SPEC section 1): an existing directory or a URL
ending in `/` receives `<name>` (the logged file or directory's base name);
otherwise DEST becomes the copy. No DEST means the current directory; `-` is
stdout (files only). The version's tree (a VerifiedFS) decides the names; the
bytes are copied from the stored blobs themselves, like any cp (parallel
ranges, the fast path), and the engine checks each file against its recorded
sha256 before committing it (Item.sha256). On a mismatch the file's
destination is discarded by the engine, and for a directory everything this run
wrote is removed. The result is IntegrityError (exit 6). On stdout, bytes
before the last chunk (8 MiB) have already gone out when a mismatch is found;
the exit code says so.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from typing import Iterator

from ..engine import events as ev
from ..engine.plan import Item, Planner
from ..engine.run import Engine, TransferOptions
from ..errors import DsctlError, IntegrityError, UsageError
from ..ops.transfer import outcome
from ..storage import Endpoint, resolve
from ..storage.listing import exists
from ..storage.translate import translating
from .history import History
from .root import project_endpoint
from .uri import parse_uri
from .view import version_endpoint


@dataclass
class GetResult:
    record: dict
    uri: str
    summary: ev.Summary


def get(url: str, dest: str | None, sink: ev.Sink = ev.null_sink, jobs: int = 32) -> GetResult:
    uri = parse_uri(url)
    history = History(project_endpoint(uri.project), uri.project, uri.key)
    record = history.select(uri)
    pinned = History.uri_of(record)
    is_dir = record["type"] == "dir"
    dst = resolve(dest or ".", for_write=True)
    if dst.is_stdio and is_dir:
        raise UsageError("a directory artifact cannot be written to stdout ('-')", pinned)
    src = version_endpoint(history.project_ep, record, pinned, strict=True)
    planner = Planner([src], dst, recursive=is_dir)
    target = dst.child(record["name"]) if planner.dst_is_dir else dst
    existed = not dst.is_stdio and _exists(target)
    planned: dict[str, Endpoint] = {}
    copied: list[str] = []

    def tee(e: ev.Event) -> None:
        if isinstance(e, ev.Finished) and e.event == "copied":
            copied.append(e.dst)
        sink(e)

    def items() -> Iterator[Item]:
        for item in planner:
            planned[item.dst.url()] = item.dst
            yield _from_blob(item, src.fs, history.project_ep)

    summary = Engine(TransferOptions(jobs=jobs), tee).run(items())
    if summary.failed:
        if not dst.is_stdio:
            _undo([planned[u] for u in copied if u in planned], target, existed)
        if any(f.exit_code == IntegrityError.exit_code for f in summary.failures):
            raise IntegrityError(f"{pinned.split('@')[0]} failed verification"
                                 f"{'; nothing was kept' if not dst.is_stdio else ''}", pinned)
        outcome(summary)
    return GetResult(record, pinned, summary)


def _from_blob(item: Item, view, project_ep: Endpoint) -> Item:
    """The item reading its stored blob directly, checked against the recorded
    sha256, and printed (events, errors) as its store:// URL."""
    ref = view.files.get(view._key(item.src.path))
    if ref is None or item.error is not None:
        return item
    blob = replace(project_ep.at(ref.inner), alias=(ref.inner, item.src.url()))
    return item._replace(src=blob, size=ref.size, sha256=ref.sha256)


def _exists(ep: Endpoint) -> bool:
    try:
        return exists(ep)
    except DsctlError:
        return False


def _undo(written: list[Endpoint], target: Endpoint, keep_target: bool) -> None:
    """Remove what a failed get wrote (best effort: the error that caused it matters more)."""
    for ep in written:
        try:
            with translating(ep.url()):
                os.unlink(ep.path) if ep.is_local else ep.fs.rm_file(ep.path)
        except (DsctlError, OSError):
            pass
    if target.is_local and not keep_target and os.path.isdir(target.path):
        shutil.rmtree(target.path, ignore_errors=True)
