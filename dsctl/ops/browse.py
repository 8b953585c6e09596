"""ls, stat and cat: read-only views of a store."""

from __future__ import annotations

import datetime as _dt
import sys
import threading
from urllib.parse import unquote
from dataclasses import dataclass
from typing import Iterator

from ..engine.plan import empty_means_absent, info, info_named, names_prefix, walk_files
from ..engine.streams import iter_chunks
from ..errors import NotFound, UsageError
from ..storage import Endpoint, resolve
from ..storage.globs import expand
from ..storage.containers import BUCKETED
from ..storage.listing import list_dir, list_pages, lists_directly
from ..storage.urls import basename


@dataclass(frozen=True)
class Entry:
    name: str            # relative to the listed URL; directories end with '/'
    url: str
    type: str            # "file" | "directory"
    size: int | None
    modified: str | None  # ISO 8601, UTC where the store says so

    def as_dict(self) -> dict:
        return {"name": self.name, "url": self.url, "type": self.type, "size": self.size,
                "modified": self.modified}


def modified_of(meta: dict) -> str | None:
    """Normalise the modification time fields of the various backends."""
    for key in ("LastModified", "last_modified", "updated", "mtime", "modified", "created", "timeCreated",
                "Last-Modified"):
        v = meta.get(key)
        if v is None:
            continue
        if isinstance(v, (int, float)):
            v = _dt.datetime.fromtimestamp(v, tz=_dt.timezone.utc)
        elif isinstance(v, str):
            try:  # GCS and others give ISO 8601 text; normalise it like the rest
                v = _dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
            except ValueError:   # a web server's header: an HTTP date
                from ..storage.rest import http_date

                v = http_date(v) or v
                if isinstance(v, str):
                    return v
        if isinstance(v, _dt.datetime):
            if v.tzinfo is None:
                v = v.replace(tzinfo=_dt.timezone.utc)
            return v.astimezone(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        return str(v)
    return None


def _entry(ep: Endpoint, path: str, name: str, meta: dict) -> Entry:
    is_dir = meta.get("type") == "directory"
    return Entry(name + ("/" if is_dir and not name.endswith("/") else ""), ep.url(path),
                 "directory" if is_dir else "file", None if is_dir else meta.get("size"),
                 modified_of(meta))


def list_entries(url: str, recursive: bool = False, detail: bool = False) -> Iterator[Entry]:
    """Entries under `url` (or the file itself); raises NotFound when absent.

    With `detail`, sizes missing from a listing (web server indexes) are
    fetched per file."""
    ep = resolve(url, allow_root=True)   # `ls s3://` lists the buckets, as aws s3 ls does
    for e in _entries(ep, recursive):
        if detail and e.size is None and e.type == "file":
            meta = info(ep.at(_path_in(ep, e)))
            e = Entry(e.name, e.url, e.type, meta.get("size"), e.modified or modified_of(meta))
        yield e


def _path_in(ep: Endpoint, e: Entry) -> str:
    return e.url if ep.backend.scheme == "http" else ep.fs._strip_protocol(e.url)


def _entries(ep: Endpoint, recursive: bool) -> Iterator[Entry]:
    if ep.is_stdio:
        raise UsageError("cannot list stdin")
    if ep.loc.has_glob:
        ep, matches = expand(ep)
        if matches == {}:
            raise NotFound("no match for pattern", ep.url())
        if matches is not None:
            for path in sorted(matches):   # each match by its URL, which can be pasted back
                yield _entry(ep, path, ep.url(path), matches[path])
            return
    if not ep.path and ep.backend.scheme in BUCKETED:   # `ls s3://`: the buckets
        if recursive:
            raise UsageError("ls -r needs a bucket or container", ep.url())
        listing = list_dir(ep)
        if getattr(ep, "store", None) is None:
            # gcsfs caches the root listing, and its later lookups of a path in a bucket
            # consult that entry and answer "not found": do not keep it
            ep.fs.invalidate_cache()
        for m in sorted(listing, key=lambda m: m["name"]):
            name = m["name"].strip("/")
            yield _entry(ep, name, name, {**m, "type": "directory"})
        return
    # `prefix/` on S3 names a directory: list it at once (no HEAD and probe first);
    # a listing that names nothing then means it is not there
    # `a.txt/` names the prefix even beside an object `a.txt` (gcsfs and adlfs listed the
    # object): listed as a prefix, and nothing below it is "not found" as on S3
    direct = lists_directly(ep) or (names_prefix(ep) and "/" in ep.path.strip("/"))   # not a bucket
    if not direct:
        meta = info(ep, want_dir=True)
        if meta.get("type") != "directory":
            if ep.loc.trailing_slash:   # `file/` names a directory that is not there (GNU ls)
                raise NotFound("not a directory", ep.url())
            yield _entry(ep, ep.path, basename(ep.path), meta)
            return
    if recursive:
        # symlinked directories walked into, as a copy of the same URL would read them
        for rel, m in walk_files(ep, must_exist=direct or empty_means_absent(ep), links="follow"):
            yield _entry(ep, m.get("name", rel) if ep.backend.scheme == "http" else f"{ep.path.rstrip('/')}/{rel}",
                         rel, m)
        return
    root = ep.path.rstrip("/")
    listed = False
    for page in list_pages(ep):   # printed a page at a time: a huge prefix streams
        page = [m for m in page if m["name"].rstrip("/") != root]
        listed = listed or bool(page)
        for m in sorted(page, key=lambda m: m["name"]):
            path = m["name"].rstrip("/")
            name = path[len(root):].lstrip("/") if path.startswith(root) else basename(path)
            yield _entry(ep, path, unquote(name) if ep.backend.scheme == "http" else name, m)
    if (direct or empty_means_absent(ep)) and not listed:   # http: a 404 page has no links
        raise NotFound("not found", ep.url())


def stat(url: str) -> dict:
    """Metadata of one file or directory, normalised, with backend extras."""
    ep = resolve(url)
    if ep.is_stdio:
        raise UsageError("cannot stat stdin")
    meta = info_named(ep, want_dir=True)
    out = {"url": ep.url(), "type": meta.get("type", "file"), "size": meta.get("size"),
           "modified": modified_of(meta)}
    # one name per fact whatever the store calls it (s3fs, gcsfs, adlfs, dsctl's clients)
    for name, keys in _EXTRAS.items():
        v = next((meta[k] for k in keys if meta.get(k) is not None), None)
        if v is not None:
            out[name] = str(v).strip('"') if not isinstance(v, dict) else str(v)
    return out


_EXTRAS = {"etag": ("ETag", "etag"), "md5": ("md5Hash", "content_md5"), "crc32c": ("crc32c",),
           "content_type": ("content_type", "ContentType", "contentType", "mimetype"),
           "storage_class": ("StorageClass", "storageClass", "access_tier")}


def cat(url: str, out=None, chunk: int = 4 * 1024 * 1024) -> int:
    """Stream a file's bytes to `out` (stdout); returns the byte count."""
    ep = resolve(url)
    out = out or sys.stdout.buffer
    size = None
    if not ep.is_stdio:
        meta = info_named(ep)
        if meta.get("type") == "directory":
            raise UsageError("is a directory", ep.url())
        size = meta.get("size")
    n, held = 0, b""
    for data in iter_chunks(ep, size, chunk, threading.Event()):
        if size is not None:
            # a file of known size goes out a chunk behind: one that ends short, runs
            # long or (store://) fails its hash is an error before its last chunk
            data, held = held, data
        out.write(data)
        n += len(data)
    out.write(held)
    out.flush()
    return n + len(held)
