"""Glob expansion: fsspec's `glob(path, detail=True)`, on dsctl's own listings where it can.

`glob(ep)` returns {path: info} of the files and directories matching `ep.path`,
sorted, exactly as fsspec's AbstractFileSystem.glob would: the literal directory
before the first wildcard is listed (one level for a pattern of one more
segment, everything below it for `**` or deeper patterns), directories are
derived from the keys, and each path is matched against fsspec's own
`glob_translate` regex. On S3 and Azure with the fast path the listing is
storage.s3client / storage.azclient's (exact keys, no s3fs or adlfs import:
`ls 's3://b/logs/*.gz'` ~0.15 s instead of ~0.6 s); elsewhere fsspec globs.
"""

from __future__ import annotations

import re
from typing import Iterator

from ..errors import UsageError
from .containers import BUCKETED
from .listing import exists
from .translate import translating

_MAGIC = re.compile(r"[*?\[]")


def expand(ep) -> tuple[object, dict | None]:
    """(ep, its matches) for a URL with wildcards - or, when the pattern matches nothing
    but a path of that very name exists (`data[1].csv`, `what?.txt`: names more often
    than patterns), (that endpoint read as written, None), as an unmatched pattern in
    the shell stays a word. cat and stat always read their URL as written."""
    if ep.backend.scheme in BUCKETED and _MAGIC.search(ep.path.split("/", 1)[0]):
        # s3fs: "Cannot traverse all of S3" (exit 1); listing every bucket to match one
        # is not what a copy should do (aws s3 and s5cmd take no glob there either)
        raise UsageError("a wildcard in the bucket or container name is not supported", ep.url())
    matches = glob(ep)
    if matches:
        return ep, matches
    literal = ep.as_written()
    return (literal, None) if exists(literal) else (ep, matches)


def glob(ep) -> dict[str, dict]:
    """{path: info} of what `ep.path` (a pattern) matches, sorted; {} for no match."""
    store = getattr(ep, "store", None)
    path = ep.path
    m = _MAGIC.search(path)
    cut = path.rfind("/", 0, m.start()) if m else -1
    root = path[:cut + 1]
    if store is None or m is None or cut < 1 or not store.usable(root + "x"):
        with translating(ep.url()):
            return ep.fs.glob(ep.path, detail=True)
    from fsspec.utils import glob_translate   # fsspec's matcher, ~40 ms, not s3fs's ~0.5 s

    ends_with_sep = path.endswith("/")
    path = path.rstrip("/")
    slash_dirs = ends_with_sep or path.endswith("/**")
    depth = None if "**" in path else path[cut + 1:].count("/") + 1
    pattern = re.compile(glob_translate(path + ("/" if ends_with_sep else "")))
    with translating(ep.url()):
        found = dict(_find(store, root, depth))
    return {p: info for p, info in sorted(found.items())
            if pattern.match(p + "/" if slash_dirs and info["type"] == "directory" else p)}


def _find(store, root: str, depth: int | None) -> Iterator[tuple[str, dict]]:
    """(path, info) of the files and directories below `root` (ending in '/'), at most
    `depth` levels down, and root itself if anything is: fsspec's find(withdirs=True,
    maxdepth=depth). A bounded depth is walked one delimited listing per directory
    (as fsspec walks it), `**` with one recursive listing."""
    top = root.rstrip("/")
    found = False
    if depth is None:
        seen: set[str] = set()
        for name, info in store.iter_files(root) or ():
            found = True
            parts = name[len(root):].split("/")
            for i in range(1, len(parts)):
                d = root + "/".join(parts[:i])
                if d not in seen:
                    seen.add(d)
                    yield d, {"name": d, "type": "directory", "size": 0}
            if not name.endswith("/"):
                yield name, info
    else:
        level = [top]
        for _ in range(depth):
            below = []
            for d in level:
                for info in store.ls(d + "/") or ():
                    name = info["name"].rstrip("/")
                    if name != d:
                        found = True
                        yield name, info
                        if info.get("type") == "directory":
                            below.append(name)
            level = below
    if found:
        yield top, {"name": top, "type": "directory", "size": 0}
