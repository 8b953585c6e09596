"""cp, upload and download: resolve, plan, run the engine, return the Summary."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..engine import events as ev
from ..engine.filters import PathFilter
from ..engine.plan import Item, Planner, walk_files
from ..engine.run import Engine, TransferOptions
from ..errors import AccessDenied, DsctlError, NotFound, PartialFailure, UsageError
from ..storage import Endpoint, resolve
from ..storage.listing import exists


@dataclass
class CopyRequest:
    sources: list[str]
    dest: str
    recursive: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    options: TransferOptions | None = None
    dst_is_dir: bool | None = None


class DestIndex:
    """Answers "does this destination exist?" with one listing per destination root."""

    def __init__(self, root: Endpoint, dst_is_dir: bool):
        self.root, self.dst_is_dir = root, dst_is_dir
        self._names: set[str] | bool | None = None   # False: not listable
        self._lock = threading.Lock()

    def __call__(self, item: Item) -> bool:
        if not self.dst_is_dir or item.dst.is_stdio:
            return not item.dst.is_stdio and exists(item.dst)
        with self._lock:
            if self._names is None:
                try:
                    # through linked directories: a copy writes through them
                    self._names = {rel for rel, _ in walk_files(self.root, links="follow")}
                except NotFound:
                    self._names = set()  # no destination yet: nothing exists
                except DsctlError:
                    # not listable (a key allowed Get/Put but not List, a 5xx): never
                    # "nothing there", which would overwrite - ask for each file instead
                    self._names = False
        if self._names is not False:
            return item.rel in self._names
        try:
            return exists(item.dst)
        except AccessDenied:
            # S3 answers 403, not 404, for a missing key to whom may not list: it may
            # be there, and skipping is what was asked - so this file is not written
            raise AccessDenied("cannot tell whether it exists (may not list or read it); "
                               "--overwrite writes anyway", item.dst.url()) from None


def copy(req: CopyRequest, sink: ev.Sink = ev.null_sink) -> ev.Summary:
    """Copy every source to the destination; see engine.plan for the rules."""
    opts = req.options or TransferOptions()
    dst = resolve(req.dest, for_write=True)
    sources = [resolve(s) for s in req.sources]
    if dst.is_stdio or not all(ep.concurrent_safe for ep in (dst, *sources)):
        opts.jobs, opts.max_parallel_parts = 1, 1
    planner = Planner(sources, dst, recursive=req.recursive,
                      filters=PathFilter(req.include, req.exclude), dst_is_dir=req.dst_is_dir,
                      follow=opts.follow_symlinks)
    exists = DestIndex(dst, planner.dst_is_dir) if opts.skip_existing else None
    return Engine(opts, sink).run(planner, exists)


def upload(sources: list[str], dest: str, *, overwrite: bool, options: TransferOptions | None = None,
           sink: ev.Sink = ev.null_sink) -> ev.Summary:
    """Local files and directories into a store prefix, keeping relative paths."""
    for s in sources:
        if resolve_scheme(s) != "local":
            raise UsageError("upload takes local files or directories; use 'dsctl cp' between stores", s)
    opts = options or TransferOptions()
    opts.skip_existing = not overwrite
    return copy(CopyRequest(sources, dest, recursive=True, options=opts, dst_is_dir=True), sink)


def download(source: str, dest_dir: str, *, overwrite: bool, options: TransferOptions | None = None,
             sink: ev.Sink = ev.null_sink) -> ev.Summary:
    """A store file or prefix into a local directory."""
    if resolve_scheme(dest_dir) != "local":
        raise UsageError("download writes to a local directory; use 'dsctl cp' between stores", dest_dir)
    opts = options or TransferOptions()
    opts.skip_existing = not overwrite
    return copy(CopyRequest([source], dest_dir, recursive=True, options=opts, dst_is_dir=True), sink)


def resolve_scheme(url: str) -> str:
    from ..storage.urls import parse

    return parse(url).scheme


def outcome(summary: ev.Summary) -> None:
    """Raise the error a finished run deserves: nothing if all went well,
    the failures' own kind if every item failed alike, else PartialFailure."""
    if not summary.failed:
        return
    codes = {f.exit_code for f in summary.failures}
    if summary.copied == 0 and summary.skipped == 0 and len(codes) == 1:
        err = PartialFailure(f"{summary.failed} of {summary.failed} files failed")
        err.exit_code = type(err).exit_code.__class__(codes.pop())
        raise err
    total = summary.failed + summary.copied + summary.skipped
    raise PartialFailure(f"{summary.failed} of {total} files failed")
