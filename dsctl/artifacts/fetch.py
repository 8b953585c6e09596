"""`artifact get`: copy one version out, verifying every byte against its sha256.

DEST follows cp's rules (SPEC section 1): an existing directory or a URL
ending in `/` receives `<name>` (the logged file or directory's base name);
otherwise DEST becomes the copy. No DEST means the current directory; `-` is
stdout (files only). The version's tree (a VerifiedFS) decides the names; the
bytes are copied from the stored blobs themselves, like any cp (parallel
ranges, the fast path), and the engine checks each file against its recorded
sha256 before committing it (Item.sha256). On a mismatch the file's
destination is discarded by the engine.

A get that fails (any failed file, or an interrupt) is undone (rollback.py):
files it added are removed, and a local file that was there before gets its
original bytes back (it was hard-linked aside before the engine could write
it). On a store destination, objects that existed before are never deleted;
ones already overwritten keep the new, verified content, and the error says
so. A mismatch is IntegrityError (exit 6). On stdout, bytes before the last
chunk (8 MiB) have already gone out when a mismatch is found; the exit code
says so.
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
from .history import History
from .rollback import Rollback, Undone
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
    keep = not dst.is_stdio
    existed = keep and _exists(target)
    rollback = Rollback(target)
    if keep and is_dir:
        rollback.snapshot()
    planned: dict[str, Endpoint] = {}
    copied: list[str] = []

    def tee(e: ev.Event) -> None:
        if isinstance(e, ev.Finished) and e.event == "copied":
            copied.append(e.dst)
        sink(e)

    def items() -> Iterator[Item]:
        for item in planner:
            planned[item.dst.url()] = item.dst
            if keep and item.error is None:
                rollback.guard(item.dst)   # before the engine may write there
            yield _from_blob(item, src.fs, history.project_ep)

    def undo() -> Undone | None:
        if not keep:
            return None
        undone = rollback.undo([planned[u] for u in copied if u in planned])
        if target.is_local and not existed and os.path.isdir(target.path):
            shutil.rmtree(target.path, ignore_errors=True)   # all of it was made by this run
        return undone

    try:
        summary = Engine(TransferOptions(jobs=jobs), tee).run(items())
    except BaseException as exc:
        undone = undo()
        if isinstance(exc, DsctlError) and undone is not None:
            exc.message += _left(undone)
        raise
    if summary.failed:
        undone = undo()
        if any(f.exit_code == IntegrityError.exit_code for f in summary.failures):
            raise IntegrityError(f"{pinned.split('@')[0]} failed verification{_left(undone)}", pinned)
        try:
            outcome(summary)
        except DsctlError as exc:
            exc.message += _left(undone)
            raise
    rollback.commit()
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


def _left(undone: Undone | None) -> str:
    """What a failed get left at its destination, for the end of its error message."""
    if undone is None:
        return ""
    if undone.clean:
        return "; nothing was kept, the destination is as it was"
    parts = []
    if undone.replaced:
        parts.append(f"{undone.replaced} existing file(s) were overwritten with this version's "
                     f"verified content and left so")
    if undone.unknown:
        parts.append("files it copied were left (the destination could not be listed beforehand)")
    if undone.kept:
        parts.append(f"{len(undone.kept)} file(s) it wrote could not be removed")
    if undone.stranded:
        parts.append(f"{len(undone.stranded)} original(s) could not be put back; they are kept as "
                     f"{', '.join(undone.stranded[:3])}{' …' if len(undone.stranded) > 3 else ''}")
    return "; " + "; ".join(parts)
