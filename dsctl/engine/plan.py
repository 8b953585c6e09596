"""Expand sources into (src file, dst file) items, following SPEC section 1.

Directory rules (rsync / fsspec copying):
  * `src/` (trailing slash)                 -> the contents of src go into dst
  * `src` into `dst/` or an existing dir    -> dst/<basename(src)>/...
  * `src` into a new `dst` (no slash)       -> dst becomes the copy of src
  * a file into `dst/` or an existing dir   -> dst/<basename>
  * several sources or a glob               -> dst is a directory
Globs are expanded by dsctl on every store; a match keeps its path relative to
the pattern's literal prefix, so `src/**/*.csv` keeps sub-directories.
Items are yielded lazily so the engine starts copying while listing runs.
"""

from __future__ import annotations

import os
import posixpath
import re
from itertools import islice
from urllib.parse import unquote, urlsplit
from typing import Iterator, NamedTuple

from ..errors import AccessDenied, DsctlError, NotFound, Unsupported, UsageError
from ..storage import Endpoint
from ..storage.containers import BUCKETED
from ..storage.globs import expand
from ..storage.listing import UNREADABLE_DIR, iter_files, lists_directly, local_info, not_a_file
from ..storage.translate import translating
from ..storage.urls import basename, join
from .filters import PathFilter


class Item(NamedTuple):
    src: Endpoint
    dst: Endpoint
    size: int | None
    rel: str
    error: DsctlError | None = None   # a planning-time refusal, reported as failed
    sha256: str | None = None         # what the bytes must hash to (hex), checked before commit


def _is_dir_info(info: dict) -> bool:
    return info.get("type") == "directory"


def _url_ends_in_slash(ep: Endpoint) -> bool:
    """Whether the URL `ep` was resolved from ends in '/' and names ep.path itself: an
    endpoint made with .at() for an entry below keeps its parent's Location."""
    return ep.loc.trailing_slash and ep.path.rstrip("/") == ep.loc.raw.rstrip("/")


def info(ep: Endpoint, *, want_dir: bool = False) -> dict:
    """Metadata of an endpoint; NotFound if absent. Knows http's quirks."""
    with translating(ep.url()):
        if ep.backend.scheme == "http":
            # A web server answers a directory URL with an HTML index as if it
            # were a file: treat it as a directory when asked to recurse. A URL
            # ending in '/' is one if the server answers it at all (one request: a
            # 404, a 401 or a dead host says so, as for any other URL).
            if _url_ends_in_slash(ep):
                ep.fs.info(ep.path + "/")
                return {"name": ep.path, "type": "directory", "size": 0}
            if want_dir and ep.fs.isdir(ep.path):
                return {"name": ep.path, "type": "directory", "size": 0}
        if ep.is_local:
            return local_info(ep.path)
        store = getattr(ep, "store", None)
        if store is not None:
            found = store.info(ep.path)   # None: a key only fsspec names exactly
            if found is not None:
                return found
        return ep.fs.info(ep.path)


def info_named(ep: Endpoint, *, want_dir: bool = False) -> dict:
    """info() of what the URL names: one ending in '/' names a directory, never the file
    of that name (`cat s3://b/k/` printed the object k - GNU cat says "Not a directory").
    On an object store the prefix `k/` is a directory if it lists anything, beside an
    object `k` or not; else - and for a local file - it is not found."""
    meta = info(ep, want_dir=want_dir)
    if not ep.loc.trailing_slash or ep.backend.scheme == "http" or _is_dir_info(meta):
        return meta
    if names_prefix(ep):
        root = ep.path.rstrip("/")
        with translating(ep.url()):
            if any(is_below(path, root) for path, _ in islice(iter_files(ep), 2)):
                return {"name": ep.path, "type": "directory", "size": 0}
    raise NotFound("not a directory", ep.url())


def empty_means_absent(ep: Endpoint) -> bool:
    """Whether a recursive listing of `ep` that names nothing means it is not there:
    an S3 `prefix/` (listed without a probe, see lists_directly) and an http URL ending
    in '/', which info() takes for a directory unseen (a 404 page has no links)."""
    return lists_directly(ep) or (ep.backend.scheme == "http" and _url_ends_in_slash(ep))


def names_prefix(ep: Endpoint) -> bool:
    """Whether `ep` is an object-store URL ending in '/': it names the key prefix (SPEC
    section 1) even where an object of the same name exists too - which info() would
    find first."""
    return ep.loc.trailing_slash and ep.backend.scheme in BUCKETED


def is_dir(ep: Endpoint) -> bool:
    try:
        return _is_dir_info(info(ep))
    except NotFound:
        return False


def walk_files(ep: Endpoint, must_exist: bool = False, links: str = "list") -> Iterator[tuple[str, dict]]:
    """(relative path, info) of every file below a directory endpoint, in key order.
    `must_exist`: NotFound if the listing names nothing at all (not even a marker).
    `links`, for local symlinks: "list" them as entries (what rm deletes, what a
    destination holds), "follow" them into directories (what a copy reads), or "skip"
    every one (--no-follow-symlinks). Entries that are no files (listing.not_a_file)
    are yielded too: the caller reports them."""
    root = ep.path.rstrip("/")
    listed = False
    for path, meta in iter_files(ep, links == "follow"):
        listed = listed or is_below(path, root)
        if _is_dir_info(meta) or path.endswith("/") or (links == "skip" and meta.get("islink")):
            continue  # directory marker objects; links left out
        if ep.backend.scheme == "http":
            rel = unquote(path[len(root):].lstrip("/"))
        elif path.startswith(root + "/"):
            rel = path[len(root) + 1:]
        else:
            continue  # a sibling that merely shares the prefix ("dir2" for "dir")
        if rel:
            yield rel, meta
    if must_exist and not listed:
        raise NotFound("not found", ep.url())


def is_below(path: str, root: str) -> bool:
    """Whether a listed `path` shows that the directory `root` exists: anything below it,
    if only a folder marker. A listing of `a.txt/` that names just the object a.txt
    (gcsfs does) found no directory."""
    return path.rstrip("/") != root or path.endswith("/")


def _once(item: Item, seen: set[str]) -> Item:
    """`item`, or its failure if an earlier source's file already goes to its destination
    (`cp a/x b/x dst/`: both were "copied", in a race for one object). GNU cp: "will not
    overwrite just-created"."""
    if item.error is not None or item.dst.is_stdio:
        return item
    url = item.dst.url()
    if url not in seen:
        seen.add(url)
        return item
    return item._replace(error=UsageError(f"will not overwrite just-created {url} with", item.src.url()))


def refused(problem: str, url: str) -> DsctlError:
    """The error for a walked entry that is no file to copy (listing.not_a_file)."""
    if problem == "broken symbolic link":
        return NotFound(problem, url)
    if problem == UNREADABLE_DIR:
        return AccessDenied(problem, url)
    return Unsupported(f"not copied: {problem}", url)


_WINDOWS = os.name == "nt"


def unsafe_reason(rel: str) -> str | None:
    """Why a relative key must not be written below a local directory, if so."""
    if "\\" in rel:
        return "contains a backslash"
    if rel.startswith("/") or (_WINDOWS and re.match(r"^[A-Za-z]:", rel)):
        return "is an absolute path"   # `c:x` is a drive only on Windows; elsewhere a name
    parts = rel.split("/")
    if any(p == ".." for p in parts):
        return "escapes the destination with '..'"
    if any(p in ("", ".") for p in parts):
        return "has an empty or '.' path segment"
    return None


def name_refusal(dst: Endpoint, rel: str, src_url: str) -> UsageError | None:
    """Why the file `rel` must not be written below `dst`, if so: a key that would land
    outside a local directory, a local name that is not UTF-8 going to a store
    (object keys are UTF-8: gcsfs wrote U+FFFD, so two such files became one object),
    or an Azure name that adlfs would change."""
    if not rel:
        return None
    why = unsafe_reason(rel) if dst.is_local else None
    if not dst.is_local and not dst.is_stdio:
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            why = "is not valid UTF-8 (object keys are; rename the file)"
    if dst.backend.scheme == "az" and any(c in rel for c in "\t\r\n"):
        # such names go through adlfs, whose urlsplit() drops tabs and line breaks: the
        # blob would get another name (two files one), and sync --delete remove it
        why = "holds a tab or line break (adlfs would drop it from the blob's name; rename the file)"
    return UsageError(f"refusing to write key that {why}", src_url) if why else None


def _glob_root(pattern: str) -> str:
    parts = pattern.split("/")
    literal = []
    for p in parts:
        if re.search(r"[*?\[]", p):
            break
        literal.append(p)
    return "/".join(literal)


def _rel(path: str, root: str) -> str:
    """A glob match's path relative to the pattern's literal prefix."""
    rel = posixpath.relpath(path, root) if root else path
    return "" if rel == "." else rel   # the pattern's own directory (`a/**` names a/)


def outermost(dirs) -> list[str]:
    """The directories not inside another one of them, sorted."""
    out: list[str] = []
    for d in sorted(p.rstrip("/") for p in dirs):
        if not out or not (d + "/").startswith(out[-1] + "/"):
            out.append(d)
    return out


class Planner:
    def __init__(self, sources: list[Endpoint], dst: Endpoint, *, recursive: bool = False,
                 filters: PathFilter | None = None, dst_is_dir: bool | None = None,
                 follow: bool = True):
        """`follow`: walk into local symlinked directories and copy what links point
        to; False leaves every symlink found in a source directory out, quietly (as
        `aws s3 cp --no-follow-symlinks` does)."""
        self.dst, self.recursive = dst, recursive
        self.links = "follow" if follow else "skip"
        self.filters = filters or PathFilter()
        # Patterns are expanded first: one that names a path as written is no glob,
        # and a glob's destination is a directory. A failing expansion is that
        # source's failure, met when the planner reaches it.
        self.sources, self._globbed = [], {}
        for src in sources:
            if src.loc.has_glob:
                try:
                    src, matches = expand(src)
                except NotFound as e:
                    matches = e
                if matches is not None:
                    self._globbed[id(src)] = matches
            self.sources.append(src)
        multi = len(sources) > 1 or bool(self._globbed)
        if dst_is_dir is None:
            dst_is_dir = multi or dst.loc.trailing_slash or (not dst.is_stdio and is_dir(dst))
        self.dst_is_dir = dst_is_dir
        if dst.is_stdio and (multi or recursive):
            raise UsageError("stdout ('-') can take only one file")

    def __iter__(self) -> Iterator[Item]:
        # Refuse a copy into itself before the first item goes out where that is
        # known without a request: a `dir/` source, every directory a glob matched.
        # (A source without the slash is checked once info() says it is a directory.)
        for src in self.sources:
            if src.is_stdio or not self.recursive:
                continue
            matches = self._globbed.get(id(src))
            if isinstance(matches, dict):
                root = _glob_root(src.path)
                for path, meta in matches.items():
                    if _is_dir_info(meta):
                        self._refuse_into_itself(src.at(path), _rel(path, root), excludable=False)
            elif id(src) not in self._globbed and src.loc.trailing_slash:
                self._refuse_into_itself(src, "")
        seen: set[str] | None = set() if len(self.sources) > 1 else None
        for src in self.sources:
            try:
                for item in self._expand(src):
                    yield item if seen is None else _once(item, seen)
            except NotFound as e:
                if len(self.sources) == 1:
                    raise
                # one missing source among several is that item's failure: the others
                # still go, and the run ends with exit 1 and the summary (as GNU cp)
                rel = basename(src.path)
                yield Item(src, self.dst.child(rel) if self.dst_is_dir else self.dst, None, rel, e)

    def _item(self, src: Endpoint, path: str, rel: str, size: int | None,
              single: bool = False, meta: dict | None = None) -> Item:
        """`single`: a file named by the source or a glob, which may be its own
        destination (a directory's files cannot: _refuse_into_itself saw to that).
        `meta`: a walked entry's info, which may say it is no file to copy."""
        dst = self.dst.child(rel) if rel else self.dst
        s = src if path == src.path else src.at(path)
        err = None
        if meta is not None and (problem := not_a_file(meta)):
            err = refused(problem, s.url())
        elif bad_name := name_refusal(self.dst, rel, s.url()):
            err = bad_name
        elif single and s.contains(dst):
            err = UsageError("source and destination are the same file", s.url())
        return Item(s, dst, size, rel, err)

    def _refuse_into_itself(self, src: Endpoint, prefix: str, excludable: bool = True) -> None:
        """A directory copied to a place inside itself would list its own copies as it
        goes (a listing streams), copying them again without end: refuse, as cp and
        rclone do - unless an --exclude drops that whole place from the copy, as in
        rclone. Not for a glob's directories: the place would also take the copies of
        the glob's other matches, which the directory's walk would then copy again."""
        into = self.dst.child(prefix) if prefix else self.dst
        below = src.below(into)
        if below is not None and not (below and excludable and self.filters.drops_tree(below)):
            raise UsageError(f"cannot copy a directory into itself: {into.url()} is inside the source",
                             src.url())

    def _expand(self, src: Endpoint) -> Iterator[Item]:
        if src.is_stdio:
            if self.dst_is_dir:
                raise UsageError("copying from stdin needs a destination file name, not a directory",
                                 self.dst.url())
            yield Item(src, self.dst, None, "")
            return
        if id(src) in self._globbed:
            matches = self._globbed[id(src)]
            if isinstance(matches, NotFound):
                raise matches
            yield from self._expand_glob(src, matches)
            return
        if self.recursive and lists_directly(src):
            # `prefix/` with -r names a directory: list it at once. Probing it first
            # (a HEAD, then a one-key listing) cost two round trips before any transfer.
            yield from self._expand_dir(src, "", must_exist=True)
            return
        meta = info_named(src, want_dir=self.recursive)
        if _is_dir_info(meta):
            if not self.recursive:
                err = UsageError("source is a directory; use -r to copy it", src.url())
                if len(self.sources) == 1:
                    raise err
                # among several sources, GNU cp's "omitting directory": said, the rest
                # copied, exit 1 (it ended the run with exit 2, part of it copied)
                name = basename(src.path)
                yield Item(src, self.dst.child(name), None, name, err)
                return
            into = src.loc.trailing_slash or not self.dst_is_dir
            yield from self._expand_dir(src, "" if into else basename(src.path),
                                        must_exist=empty_means_absent(src))
        else:
            name = basename(src.path)
            if src.backend.scheme == "http":   # a URL's name is %-encoded; the file's is not
                # and its query is no part of it (a presigned URL's signature ended up in
                # the file name): `a.txt?v=1&X-Amz-Signature=…` is a.txt, as curl -O saves it
                name = unquote(basename(urlsplit(src.path).path.rstrip("/")))
            rel = name if self.dst_is_dir else ""
            if not self.filters or self.filters.keep(name):
                # a FIFO or device named as the source (`cp <(cmd) …`) is read as a
                # stream: its st_size says nothing of what it will give
                size = meta.get("size") if meta.get("type") != "other" else None
                item = self._item(src, src.path, rel, size, single=True)
                if item.error is not None and len(self.sources) == 1:
                    raise item.error   # the one file named cannot go: the run's one line
                yield item

    def _expand_dir(self, src: Endpoint, prefix: str, must_exist: bool = False) -> Iterator[Item]:
        self._refuse_into_itself(src, prefix)
        for rel, meta in walk_files(src, must_exist, links=self.links):
            if self.filters and not self.filters.keep(rel):
                continue
            yield self._item(src, join(src.path, rel) if src.backend.scheme != "http" else meta["name"],
                             join(prefix, rel), meta.get("size"), meta=meta)

    def _expand_glob(self, src: Endpoint, matches: dict) -> Iterator[Item]:
        if not matches:
            raise NotFound("no match for pattern", src.url())
        root = _glob_root(src.path)
        # `a/**` matches a/ itself and everything below it: with -r each directory is
        # walked, so what lies inside a walked one is not taken again
        outer = outermost(p for p, m in matches.items() if _is_dir_info(m)) if self.recursive else []
        walked, outer = tuple(d + "/" for d in outer), set(outer)
        for path in sorted(matches):
            meta = matches[path]
            if path.rstrip("/") not in outer and path.startswith(walked):
                continue
            rel = _rel(path, root)
            if src.backend.scheme == "http":   # a matched link is %-encoded; the name is not
                rel = unquote(rel)
            if _is_dir_info(meta):
                if not self.recursive:
                    # like GNU cp ("-r not specified; omitting directory"): said, not silent
                    yield Item(src.at(path), self.dst.child(rel), None, rel,
                               UsageError("is a directory; use -r to copy it", src.url(path)))
                    continue
                sub = src.at(path)
                for r, m in walk_files(sub, links=self.links):
                    if not self.filters or self.filters.keep(join(rel, r)):
                        yield self._item(src, join(path, r), join(rel, r), m.get("size"), meta=m)
            elif not self.filters or self.filters.keep(rel):
                yield self._item(src, path, rel, meta.get("size"), single=True)


