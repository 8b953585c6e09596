"""sync and check: compare two trees, then copy (and delete) or report.

sync makes DST match SRC (rsync `SRC/ DST/` semantics: the contents of SRC).
A file is unchanged, and skipped, when its sizes match and
  * by default: the destination is not older than the source (as `aws s3
    sync` does, since copies do not carry modification times over);
  * --size-only: always;
  * --checksum: the sha256 of both sides match.
--delete removes destination files that SRC does not have, after the copies
and only if none failed. check compares sizes, then sha256 of every pair.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from ..engine import events as ev
from ..engine.filters import PathFilter
from ..engine.plan import Item, info, name_refusal, names_prefix, outermost, refused, walk_files
from ..engine.run import Engine, TransferOptions
from ..engine.streams import iter_chunks
from ..errors import DsctlError, NotFound, UsageError
from ..storage import Endpoint, resolve
from ..storage.containers import missing_container
from ..storage.listing import UNREADABLE_DIR, not_a_file
from ..storage.translate import translating
from ..storage.urls import join
from .browse import modified_of
from .remove import delete_paths


def _tree(ep: Endpoint, must_exist: bool, links: str = "list") -> dict[str, dict]:
    """The files below a directory endpoint; {} for a destination not there yet (not
    `must_exist`; its bucket's absence, if that is why, the copies then say)."""
    prefix = names_prefix(ep)   # `p/`: the prefix, even beside an object named `p`
    try:
        if not prefix and info(ep, want_dir=True).get("type") != "directory":
            raise UsageError("sync and check compare directories (key prefixes), not single files",
                             ep.url())
        # without the info() probe, the listing itself says whether the prefix is there
        tree = dict(walk_files(ep, prefix and must_exist, links=links))
    except NotFound:
        if must_exist:
            raise
        return {}
    for rel, m in tree.items():
        if m.get("size") is None:  # web server indexes carry no sizes
            m.update(info(_file(ep, rel, m)))
    return tree


def _file(ep: Endpoint, rel: str, meta: dict) -> Endpoint:
    """The endpoint of a walked file: over http by the URL the index linked (`rel` is
    decoded: a file named `a%20b` is linked as `a%2520b`), elsewhere below `ep`."""
    return ep.at(meta["name"]) if ep.backend.scheme == "http" else ep.child(rel)


def sha256_of(ep: Endpoint, size: int | None) -> str:
    h = hashlib.sha256()
    for chunk in iter_chunks(ep, size, 8 * 1024 * 1024, threading.Event()):
        h.update(chunk)
    return h.hexdigest()


def _same(src: Endpoint, dst: Endpoint, rel: str, s: dict, d: dict, mode: str) -> bool:
    if s.get("size") != d.get("size") or not_a_file(d):
        return False   # a FIFO or a broken link where a file belongs is replaced, never opened
    if mode == "size":
        return True
    if mode == "checksum":
        return sha256_of(_file(src, rel, s), s.get("size")) == sha256_of(_file(dst, rel, d), d.get("size"))
    sm, dm = modified_of(s), modified_of(d)
    return bool(sm and dm and dm >= sm)


@dataclass
class SyncResult:
    summary: ev.Summary
    deleted: list[str] = field(default_factory=list)
    delete_failed: int = 0   # destination files --delete could not remove (each reported)


def sync(src_url: str, dst_url: str, *, delete: bool = False, mode: str = "mtime",
         options: TransferOptions | None = None, sink: ev.Sink = ev.null_sink,
         on_delete: Callable[[str], None] = lambda u: None,
         on_delete_failed: Callable[[DsctlError], None] = lambda e: None,
         include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> SyncResult:
    """Copy what differs from SRC's tree to DST's; with `delete`, remove what only DST
    has. --include/--exclude select paths on both sides, as in rclone and aws s3
    sync: a path they leave out is neither copied nor deleted."""
    opts = options or TransferOptions()
    src, dst = resolve(src_url), resolve(dst_url, for_write=True)
    if src.is_stdio or dst.is_stdio:
        raise UsageError("sync works between directories, not stdin/stdout")
    if src.contains(dst) or dst.contains(src):
        # one inside the other: --delete would remove source files as "extra", and each
        # run would copy the previous run's copies again (rclone refuses this too)
        raise UsageError("cannot sync overlapping directories (one is inside the other)",
                         f"{src.url()} -> {dst.url()}")
    if not (src.concurrent_safe and dst.concurrent_safe):
        opts.jobs, opts.max_parallel_parts = 1, 1
    src_files = _tree(src, True, "follow" if opts.follow_symlinks else "skip")
    # through linked directories, as the copies write (and as a download's skip rule sees)
    dst_files = _tree(dst, False, "follow")
    if not dst_files and opts.dry_run and (gone := missing_container(dst)):
        raise gone   # no copy will say so (aws s3 sync --dryrun lists, and fails, too)
    filters = PathFilter(include, exclude)
    if filters:
        src_files = {rel: m for rel, m in src_files.items() if filters.keep(rel)}
        dst_files = {rel: m for rel, m in dst_files.items() if filters.keep(rel)}
    items = []
    for rel, m in src_files.items():
        s = _file(src, rel, m)
        problem = not_a_file(m)
        items.append(Item(s, dst.child(rel), m.get("size"), rel,
                          refused(problem, s.url()) if problem else name_refusal(dst, rel, s.url())))

    def unchanged(item: Item):
        d = dst_files.get(item.rel)
        return "unchanged" if d is not None and _same(src, dst, item.rel, src_files[item.rel], d, mode) else None

    opts.skip_existing = True
    summary = Engine(opts, sink).run(items, unchanged)
    result = SyncResult(summary)
    extra = sorted(set(dst_files) - set(src_files))
    if delete and extra and not summary.failed:
        def failed(e: DsctlError) -> None:
            result.delete_failed += 1
            on_delete_failed(e)

        result.deleted = delete_paths(dst, _deletions(dst, extra, src_files),
                                      dry_run=opts.dry_run, on_removed=on_delete, on_failed=failed)
        if not opts.dry_run:
            # directories --delete emptied: those holding no file SRC has
            emptied = set().union(*map(_dirs_of, extra)) - set().union(*map(_dirs_of, src_files))
            _drop_emptied_markers(dst, emptied)
            _drop_emptied_dirs(dst, emptied)
    return result


def _dirs_of(rel: str) -> set[str]:
    """ "a/b/x" -> {"a", "a/b"}"""
    parts = rel.split("/")[:-1]
    return {"/".join(parts[:i]) for i in range(1, len(parts) + 1)}


def _deletions(dst: Endpoint, extra: list[str], kept) -> list[str]:
    """The paths --delete removes for the destination-only files `extra`. In a local
    destination nothing is deleted through a symlinked directory: a link where SRC has
    a directory is written through and left alone (rclone), one SRC does not have goes
    itself, never what it points to (rsync)."""
    if not dst.is_local:
        return [join(dst.path, rel) for rel in extra]
    src_dirs = set().union(*map(_dirs_of, kept))
    out: set[str] = set()
    for rel in extra:
        link = next((d for d in sorted(_dirs_of(rel), key=len)
                     if os.path.islink(join(dst.path, d))), None)
        if link is None:
            out.add(rel)
        elif link not in src_dirs:
            out.add(link)
    return [join(dst.path, rel) for rel in sorted(out)]


def _drop_emptied_dirs(dst: Endpoint, emptied: set[str]) -> None:
    """Local directories --delete emptied are removed, deepest first, as rsync does -
    only when empty: a file that could not be deleted, or one that appeared meanwhile,
    keeps its directory. A linked directory is never entered."""
    if not dst.is_local:
        return
    for d in sorted(emptied, key=lambda d: -d.count("/")):
        path = join(dst.path, d)
        if not os.path.islink(path):
            try:
                os.rmdir(path)
            except OSError:
                pass   # not empty (or already gone)


def _drop_emptied_markers(dst: Endpoint, emptied: set[str]) -> None:
    """The folder markers of destination directories that --delete emptied would keep
    them listed; `rm -r` removes them too
    (ops.remove). Azure: hdi_isfolder blobs at and below each such directory; S3: a
    zero-byte `dir/` object per directory (deleting one that is not there is no error)."""
    store = getattr(dst, "store", None)
    if store is None or dst.backend.scheme not in ("az", "s3"):
        return

    with translating(dst.url()):
        if dst.backend.scheme == "s3":
            markers = [join(dst.path, d) + "/" for d in sorted(emptied)]
        else:
            markers = [m for d in outermost(emptied) for m in store.folder_markers(join(dst.path, d))]
        if markers:
            store.delete(markers)


@dataclass
class CheckResult:
    matched: int = 0
    differences: list[tuple[str, str]] = field(default_factory=list)  # (what, relative path)


def check(src_url: str, dst_url: str, jobs: int = 16) -> CheckResult:
    """Compare two trees by size and sha256; lists every difference."""
    src, dst = resolve(src_url), resolve(dst_url)
    if src.is_stdio or dst.is_stdio:
        raise UsageError("check compares directories, not stdin/stdout")
    if not (src.concurrent_safe and dst.concurrent_safe):
        jobs = 1
    a, b = _tree(src, True, "follow"), _tree(dst, True, "follow")   # both only read
    out = CheckResult()
    for tree in (a, b):   # a directory it may not list: said, not taken for a missing file
        for rel in [r for r, m in tree.items() if not_a_file(m) == UNREADABLE_DIR]:
            out.differences.append(("cannot list (permission denied)", rel))
            a.pop(rel, None)
            b.pop(rel, None)
    for rel in sorted(set(a) - set(b)):
        out.differences.append(("missing in destination", rel))
    for rel in sorted(set(b) - set(a)):
        out.differences.append(("only in destination", rel))
    both = []
    for rel in sorted(set(a) & set(b)):
        if not_a_file(a[rel]) or not_a_file(b[rel]):   # never opened: a FIFO would block
            out.differences.append(("not a regular file", rel))
        else:
            both.append(rel)
    sized = [rel for rel in both if a[rel].get("size") == b[rel].get("size")]
    for rel in both:
        if rel not in sized:
            out.differences.append(("size differs", rel))

    def compare(rel: str) -> bool:
        return (sha256_of(_file(src, rel, a[rel]), a[rel].get("size"))
                == sha256_of(_file(dst, rel, b[rel]), b[rel].get("size")))

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        for rel, same in zip(sized, pool.map(compare, sized)):
            if same:
                out.matched += 1
            else:
                out.differences.append(("content differs", rel))
    out.differences.sort(key=lambda d: d[1])
    return out
