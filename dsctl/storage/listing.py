"""Listings that stream where the store allows it.

`iter_files(ep)` yields (path, info) for every file below a directory
endpoint. On S3 it walks ListObjectsV2 pages as they arrive (keys come back in
lexicographic order), so `ls -r` prints its first line long before a 100k-key
listing ends and never holds it all. Other stores go through fsspec's `find`,
sorted. `list_dir(ep)` is the one-level listing (`ls`): on S3 a delimited
ListObjectsV2 by dsctl's own S3 client, elsewhere fsspec's `ls`.
"""

from __future__ import annotations

import os
import re
import stat as _stat
from typing import Iterator

from ..errors import AccessDenied, NotFound
from .translate import translating

PAGE = 1000


def iter_files(ep, follow: bool = False) -> Iterator[tuple[str, dict]]:
    """`follow`: walk into local symlinks to directories (copy sources only)."""
    root = ep.path.rstrip("/")
    if ep.backend.scheme == "local" and os.sep == "/":
        yield from _local_walk(root or "/", follow)
        return
    store = getattr(ep, "store", None)
    found = store.iter_files(root) if store is not None else None
    if found is not None:
        # exact keys, page by page (storage.s3client), without importing s3fs
        while True:
            with translating(ep.url()):
                item = next(found, None)
            if item is None:
                return
            yield item
    if ep.backend.scheme == "s3" and hasattr(ep.fs, "_iterdir"):
        yield from _s3_stream(ep, root)
        return
    with translating(ep.url()):
        found = (_http_walk(ep, root) if ep.backend.scheme == "http"
                 else ep.fs.find(root, detail=True, withdirs=False))
    for path in sorted(found):
        yield path, found[path]


def lists_directly(ep) -> bool:
    """Whether `ep` is an S3 `prefix/` that is listed at once, with no probe first: the
    trailing slash names a directory, and on S3 "exists" means "some key starts with it"
    (Azure and local have real directories), which a listing alone tells - the S3
    client names every key exactly. An empty listing then means "not found"."""
    st = getattr(ep, "store", None)
    if not ep.loc.trailing_slash or st is None or ep.backend.scheme != "s3":
        return False
    key = ep.path.strip("/").partition("/")[2]
    # a bucket root exists even when empty: there the probe (which raises for a missing
    # bucket) still decides
    return bool(key) and st.usable(ep.path.rstrip("/") + "/x")


def exists(ep) -> bool:
    """Whether a file or a directory is at `ep` (fsspec's exists), through the fast
    backend's HEAD and listing where it names the path exactly."""
    if ep.is_local:
        return os.path.lexists(ep.path)
    store = getattr(ep, "store", None)
    if store is not None:
        try:
            with translating(ep.url()):
                if store.info(ep.path) is not None:
                    return True
        except NotFound:
            return False
    with translating(ep.url()):
        return ep.fs.exists(ep.path)


def list_dir(ep) -> list[dict]:
    """fsspec-style info dicts of the entries directly below a directory endpoint
    (sub-directories as type "directory"), unsorted; may include the directory itself."""
    return [m for page in list_pages(ep) for m in page]


def list_pages(ep) -> Iterator[list[dict]]:
    """list_dir() in pages, each unsorted but after the one before in name order: a
    page per request on the fast path (S3, Azure), one page elsewhere."""
    store = getattr(ep, "store", None)
    with translating(ep.url()):
        pages = store.ls_pages(ep.path) if store is not None else None
        if pages is None:
            found = ([meta for _, meta in _http_index(ep, ep.path.rstrip("/"))]
                     if ep.backend.scheme == "http" else ep.fs.ls(ep.path, detail=True))
            pages = iter([found])
    while True:
        with translating(ep.url()):   # each page is a request
            page = next(pages, None)
        if page is None:
            return
        yield page


def _http_walk(ep, root: str) -> dict[str, dict]:
    """{URL: info} of the files below an http directory, each index page asked for by its
    URL with the '/' (fsspec's find asks for `/sub`, which a server that does not
    redirect answers 404 - the subdirectory was silently left out). A subdirectory that
    is not there is left out, as fsspec's walk does; links only ever lead deeper."""
    found, todo = {}, [root]
    while todo:
        d = todo.pop()
        try:
            entries = list(_http_index(ep, d))
        except FileNotFoundError:
            if d == root:
                raise
            continue
        for url, meta in entries:
            if meta.get("type") == "directory":
                todo.append(url.rstrip("/"))
            else:
                found[url] = meta
    return found


def _http_index(ep, d: str) -> Iterator[tuple[str, dict]]:
    """(URL, info) of the entries of the http directory `d`, its index page asked for by
    its URL with the '/' - dsctl's paths drop it, and a server that does not redirect
    `/dir` to `/dir/` answered 404 (exit 3)."""
    return _http_children(d, ep.fs.ls(d + "/", detail=True))


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _http_children(base: str, entries) -> Iterator[tuple[str, dict]]:
    """(URL, info) of the links of an HTML index that name something below `base`.
    fsspec joins every relative href onto the page's URL, so Apache's and Caddy's sort
    links (`?C=N;O=D`), fragments (`#top`), other schemes (`mailto:`) and `./`, `../`
    paths came back as files - `cp -r` wrote the index page under those names. As
    rclone's http backend: only plain names below the base; `./name` is `name`."""
    seen = set()
    for meta in entries:
        name = meta["name"]
        rest = name[len(base) + 1:] if name.startswith(base + "/") else ""
        kept = _plain_path(rest) if rest and "?" not in rest and "#" not in rest else None
        if kept:
            url = f"{base}/{kept}"
            if url not in seen:
                seen.add(url)
                yield url, {**meta, "name": url}


def _plain_path(rest: str) -> str | None:
    """`rest` (links joined by fsspec, one per page walked) without `./` segments, or
    None if a segment is `..`, empty, or starts like a scheme (`mailto:`) without the
    `./` that makes a name such as `./a:b.txt` relative."""
    out, explicit = [], False
    segments = rest.split("/")
    for i, seg in enumerate(segments):
        if seg == ".":
            explicit = True
            continue
        if seg == ".." or (not seg and i < len(segments) - 1) or (not explicit and _SCHEME.match(seg)):
            return None
        out.append(seg)
        explicit = False
    return "/".join(out) if any(out) else None


def _s3_stream(ep, root: str) -> Iterator[tuple[str, dict]]:
    from fsspec.asyn import sync

    fs = ep.fs
    bucket, key, _ = fs.split_path(root)
    prefix = key + "/" if key else ""
    agen = fs._iterdir(bucket, delimiter="", prefix=prefix)

    async def take() -> list[dict]:
        out: list[dict] = []
        try:
            while len(out) < PAGE:
                out.append(await agen.__anext__())
        except StopAsyncIteration:
            out.append(None)  # end marker
        return out

    try:
        while True:
            with translating(ep.url()):
                batch = sync(fs.loop, take)
            for info in batch:
                if info is None:
                    return
                yield info["name"], info
    finally:
        try:
            sync(fs.loop, agen.aclose)
        except Exception:  # noqa: BLE001 - closing a finished generator is best effort
            pass


# -- local directories, without fsspec ---------------------------------------------------
# The same entries and the same info dicts as fsspec's LocalFileSystem.find(detail=True)
# (symlinks are not followed into directories; a symlink's size is its target's), in the
# same global order (sorted full paths), but streamed: a directory's entries are sorted
# with '/' appended to sub-directory names, so a depth-first walk yields sorted paths.
# With follow=True (the sources of copies) a symlink to a directory is walked into, as
# the AWS CLI and s5cmd do by default; never for rm or a destination, where following
# would delete through the link.

_SPECIAL = ((_stat.S_ISFIFO, "a FIFO"), (_stat.S_ISSOCK, "a socket"),
            (_stat.S_ISCHR, "a character device"), (_stat.S_ISBLK, "a block device"))


def _info(path: str, st: os.stat_result, link: bool, kind: str, size: int) -> dict:
    out = {"name": path, "size": size, "type": kind,
           "created": getattr(st, "st_birthtime", st.st_ctime), "islink": link,
           "mode": st.st_mode, "uid": st.st_uid, "gid": st.st_gid, "mtime": st.st_mtime,
           "ino": st.st_ino, "nlink": st.st_nlink}
    if link:
        out["destination"] = os.readlink(path)
    return out


def local_info(path: str) -> dict:
    """fsspec LocalFileSystem.info(path), without importing fsspec."""
    st = os.stat(path, follow_symlinks=False)
    link = _stat.S_ISLNK(st.st_mode)
    if link:
        st = os.stat(path, follow_symlinks=True)
    kind = ("directory" if _stat.S_ISDIR(st.st_mode) else
            "file" if _stat.S_ISREG(st.st_mode) else "other")
    return _info(path, st, link, kind, st.st_size)


UNREADABLE_DIR = "permission denied: cannot list this directory"


def not_a_file(info: dict) -> str | None:
    """Why a listed local entry cannot be copied as a file, or None: a FIFO or device
    (opening one would wait for a writer, or read forever), a broken symlink, a
    symlink loop. Copies report such entries instead of opening them."""
    return info.get("problem")


def _entry_info(e: os.DirEntry, follow: bool) -> dict:
    st = e.stat(follow_symlinks=False)
    link = e.is_symlink()
    target = st
    if link:
        try:
            target = e.stat(follow_symlinks=True)
        except OSError:   # dangling, or a loop of links
            out = _info(e.path, st, True, "other", 0)
            out["problem"] = "broken symbolic link"
            return out
    if _stat.S_ISDIR(target.st_mode) and (follow or not link):
        kind = "directory"
    elif _stat.S_ISREG(target.st_mode):
        kind = "file"
    else:
        kind = "other"
    out = _info(e.path, st, link, kind, target.st_size)
    if kind == "other" and not (link and _stat.S_ISDIR(target.st_mode)):
        out["problem"] = next((what for test, what in _SPECIAL if test(target.st_mode)),
                              "not a regular file")
    if kind == "directory":
        out["_dir_id"] = (target.st_dev, target.st_ino)
    return out


def _sorted_entries(d: str, follow: bool) -> list[dict]:
    entries = []
    with translating(d):
        try:
            with os.scandir(d) as it:
                for e in it:
                    try:
                        entries.append(_entry_info(e, follow))
                    except FileNotFoundError:
                        pass   # vanished while listing
        except (FileNotFoundError, NotADirectoryError):
            return []
    entries.sort(key=lambda i: i["name"] + ("/" if i["type"] == "directory" else ""))
    return entries


def _local_walk(root: str, follow: bool = False) -> Iterator[tuple[str, dict]]:
    with translating(root):
        if not os.path.isdir(root):
            yield root, local_info(root)
            return
        st = os.stat(root)
    # the directories being walked (device, inode): a symlink back to one is a loop
    ancestors = [(st.st_dev, st.st_ino)]
    stack = [iter(_sorted_entries(root, follow))]
    while stack:
        info = next(stack[-1], None)
        if info is None:
            stack.pop()
            ancestors.pop()
        elif info["type"] == "directory":
            dir_id = info.pop("_dir_id")
            if dir_id in ancestors:
                info.update(type="other", problem="a symbolic link loop (to a directory above it)")
                yield info["name"], info
                continue
            try:
                entries = _sorted_entries(info["name"], follow)
            except AccessDenied:
                # one unreadable directory is that entry's failure, not the whole walk's
                # (GNU cp and rsync report it and copy the rest)
                info.update(type="other", problem=UNREADABLE_DIR)
                yield info["name"], info
                continue
            ancestors.append(dir_id)
            stack.append(iter(entries))
        else:
            yield info["name"], info
