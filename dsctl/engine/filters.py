"""--include / --exclude: glob patterns over an item's path relative to its source.

A file is kept when it matches at least one --include (if any are given) and
no --exclude. `*` and `?` stay within one path segment, `**` crosses them; a
pattern without '/' is also tried against the bare file name, so
`--exclude '*.tmp'` drops temp files at any depth (as rsync and rclone do).
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern:
    from fsspec.utils import glob_translate

    return re.compile(glob_translate(pattern.lstrip("/")))


def _matches(pattern: str, rel: str) -> bool:
    rx = _compile(pattern)
    if rx.match(rel):
        return True
    return "/" not in pattern and bool(rx.match(rel.rsplit("/", 1)[-1]))


class PathFilter:
    def __init__(self, include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()):
        self.include, self.exclude = tuple(include), tuple(exclude)

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def drops_tree(self, rel_dir: str) -> bool:
        """Whether every path below directory `rel_dir` is excluded, by a pattern
        `X/**` whose X matches `rel_dir` (as rclone users write `--exclude 'backup/**'`)."""
        return any(p.lstrip("/").endswith("/**") and _compile(p.lstrip("/")[:-3]).fullmatch(rel_dir)
                   for p in self.exclude)

    def keep(self, rel: str) -> bool:
        if self.include and not any(_matches(p, rel) for p in self.include):
            return False
        return not any(_matches(p, rel) for p in self.exclude)
