"""rm: delete files, or with recursive=True everything under a prefix."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

from ..engine.plan import info, is_below, names_prefix, outermost, walk_files
from ..errors import DsctlError, NotFound, PartialFailure, UsageError
from ..storage import resolve
from ..storage.globs import expand
from ..storage.listing import iter_files
from ..storage.translate import translating
from ..storage.urls import GLOB_CHARS, join

BATCH = 1000  # S3 DeleteObjects takes at most 1000 keys per request


@dataclass
class RemoveResult:
    removed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)   # directories a glob matched, without -r
    failed: list[DsctlError] = field(default_factory=list)   # files that could not be removed
    dry_run: bool = False


def outcome(result: RemoveResult) -> None:
    """Raise what a run that refused some directories or failed to remove some files
    deserves (GNU rm's rule: the rest went, each was reported, the exit says not
    everything did)."""
    if not result.refused and not result.failed:
        return
    bad = len(result.refused) + len(result.failed)
    if not result.removed:
        if result.failed:   # each was said; nothing went: the first one's exit code
            raise type(result.failed[0])(f"none of {bad} removed")
        raise UsageError("matched only directories; use -r to remove them")
    raise PartialFailure(f"{bad} of {bad + len(result.removed)} not removed")


def remove(url: str, *, recursive: bool = False, dry_run: bool = False,
           on_removed: Callable[[str], None] = lambda u: None,
           on_refused: Callable[[DsctlError], None] = lambda e: None) -> RemoveResult:
    """Delete what `url` names. A glob's directories without `recursive` are not an
    error for the whole run: the files it matched are removed, each directory goes
    to on_refused and into result.refused, as does each file of several that cannot be
    removed, into result.failed (see outcome())."""
    ep = resolve(url, for_write=True)
    if ep.is_stdio:
        raise UsageError("cannot remove stdin")
    result = RemoveResult(dry_run=dry_run)
    matches = None
    if ep.loc.has_glob:
        ep, matches = expand(ep)
        if matches == {}:
            raise NotFound("no match for pattern", ep.url())
    if matches is not None:
        # a local link is removed as a link, never walked into (GNU rm)
        found = sorted(p for p, m in matches.items() if m.get("type") == "directory" and not _link(ep, p))
        skip = set(found)
        files = [p for p in sorted(matches) if p not in skip]
        if ep.loc.trailing_slash and (links := [p for p in files if _link(ep, p)]):
            # `L*/` names directories: a link matched so is refused, as `rm -r L/` is
            raise _link_as_directory(ep.url(links[0]))
        dirs = outermost(found) if recursive else []
        if found and not recursive:
            for d in found:   # GNU rm: each said, the files still go, the exit says so
                result.refused.append(ep.url(d))
                on_refused(UsageError("is a directory; use -r to remove it", ep.url(d)))
        # `a/**` names a/ and everything in it: each file once, each tree walked once
        inside = tuple(d.rstrip("/") + "/" for d in dirs)
        targets = [p for p in files if not p.startswith(inside)]
        for d in dirs:
            targets.extend(_below(ep.at(d), must_exist=False))
    elif _link(ep, ep.path):
        # the link goes, whatever it points to (or whether it points anywhere): GNU rm
        if ep.loc.trailing_slash:
            raise _link_as_directory(ep.url())
        targets, dirs = [ep.path.rstrip("/")], []
    else:
        prefix = recursive and names_prefix(ep)   # `p/` never means an object named `p`
        meta = {"type": "directory"} if prefix else info(ep)
        if meta.get("type") == "directory":
            if not recursive:
                raise UsageError("is a directory; use -r to remove it", ep.url())
            targets = _below(ep, must_exist=prefix)
            dirs = [ep.path]
        elif ep.loc.trailing_slash:   # `file/` names a directory that is not there (GNU rm)
            raise NotFound("not a directory", ep.url())
        else:
            targets, dirs = [ep.path], []
    def failed(e: DsctlError) -> None:
        result.failed.append(e)
        on_refused(e)

    # one target: its error is the run's; several: each reported, the rest still go
    result.removed = delete_paths(ep, targets, dry_run=dry_run, on_removed=on_removed,
                                  on_failed=failed if len(targets) > 1 else None)
    store = getattr(ep, "store", None)
    if not dry_run and store is not None and dirs:
        # Azure folder markers (hdi_isfolder blobs) would keep the directory listed
        with translating(ep.url()):
            markers = [m for d in dirs for m in store.folder_markers(d)]
            if markers:
                store.delete(markers)
    if not dry_run and ep.backend.scheme in ("local", "memory"):
        # Real directories (not key prefixes) are left behind by file deletes.
        for d in dirs:
            with translating(ep.url(d)):
                if result.failed and ep.is_local:
                    _remove_empty_dirs(d)   # around what stays (each failure said)
                elif ep.fs.exists(d):
                    ep.fs.rm(d, recursive=True)
    return result


def _remove_empty_dirs(top: str) -> None:
    """rmdir every directory at and below `top` that is empty, deepest first."""
    for d, _, _ in os.walk(top, topdown=False):
        try:
            os.rmdir(d)
        except OSError:
            pass   # not empty: a file in it could not be removed


def _link(ep, path: str) -> bool:
    return ep.is_local and os.path.islink(path.rstrip("/") or "/")


def _link_as_directory(url: str) -> UsageError:
    """`rm -r LINK/` names a directory; GNU rm says "Not a directory"."""
    return UsageError("is a symbolic link, not a directory: name it without the "
                      "trailing '/' to remove the link", url)


def _below(ep, must_exist: bool) -> list[str]:
    """Every path to delete below a directory endpoint: its files, and on S3 and GCS
    the `dir/` marker objects other tools make for folders (they would keep the folder
    listed; `aws s3 rm --recursive` deletes them too). NotFound if `must_exist` and
    the listing names nothing."""
    if ep.backend.scheme not in ("s3", "gs"):
        return [join(ep.path, rel) for rel, _ in walk_files(ep, must_exist)]
    root, out, listed = ep.path.rstrip("/"), [], False
    for path, _ in iter_files(ep):
        listed = listed or is_below(path, root)
        if path.startswith(root + "/"):
            out.append(path)
    if must_exist and not listed:
        raise NotFound("not found", ep.url())
    return out


def delete_paths(ep, paths: list[str], *, dry_run: bool = False,
                 on_removed: Callable[[str], None] = lambda u: None,
                 on_failed: Callable[[DsctlError], None] | None = None) -> list[str]:
    """Delete store paths in batches of BATCH (one DeleteObjects each on S3); returns
    the URLs removed. A local file that cannot be removed goes to `on_failed`, if given,
    and the rest are still removed (GNU rm); otherwise its error is raised."""
    removed = []
    store = getattr(ep, "store", None)   # S3 on the fast path: no s3fs import (~0.5 s)
    for i in range(0, len(paths), BATCH):
        batch = paths[i:i + BATCH]
        if not dry_run and ep.is_local:   # os.remove: a link goes, not what it points to
            for p in batch:
                try:
                    with translating(ep.url(p)):
                        os.remove(p)
                except DsctlError as e:
                    if on_failed is None:
                        raise
                    on_failed(e)
                    continue
                removed.append(ep.url(p))
                on_removed(ep.url(p))
            continue
        if not dry_run:
            with translating(ep.url()):
                if store is None or not store.delete(batch):
                    # fsspec's rm() expands each path as a glob: `a[1]` would name `a1`
                    names = [p for p in batch if GLOB_CHARS.search(p)]
                    if len(names) < len(batch):
                        ep.fs.rm([p for p in batch if not GLOB_CHARS.search(p)])
                    for p in names:
                        ep.fs.rm_file(p)
        for p in batch:
            removed.append(ep.url(p))
            on_removed(ep.url(p))
    return removed
