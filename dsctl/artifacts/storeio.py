"""Small reads and writes on an Endpoint, including create-only writes.

`put_new(ep, data)` writes `data` only if nothing exists at `ep` and tells
whether it did; the check and the write are one atomic step on:
  * local paths  write a temp file, then link(2) it to the name (fails if taken);
                 readers never see a half-written file
  * s3           PutObject with `If-None-Match: *` (s3fs mode="create"); AWS S3,
                 SeaweedFS, MinIO and R2 honour it
  * gs           `ifGenerationMatch=0` (gcsfs mode="create")
  * az           `If-None-Match: *` (adlfs mode="create": overwrite=False)
  * memory       check-then-create inside the one process that owns the store
Any other store falls back to check-then-write, which concurrent writers can
race: `create_only_supported` says so, and `artifact log` warns.
All backend errors leave as typed errors (storage.translate).
"""

from __future__ import annotations

import contextlib
import errno
import os

from ..engine.copy import fast
from ..engine.localfile import create_temp
from ..errors import DsctlError, MissingBucket, NotFound
from ..storage.listing import list_dir
from ..storage.translate import translating

ATOMIC_CREATE = {"local", "s3", "gs", "az", "memory"}


def create_only_supported(ep) -> bool:
    return ep.backend.scheme in ATOMIC_CREATE


def read_bytes(ep) -> bytes:
    """The whole object; NotFound if absent."""
    with translating(ep.url()):
        if ep.is_local:
            with open(ep.path, "rb") as f:
                return f.read()
        # the fast backend (dsctl's S3/Azure clients, obstore) where it names the path:
        # fsspec (s3fs, adlfs) is then never imported
        return bytes(ep.store.get(ep.path)) if fast(ep) else ep.fs.cat_file(ep.path)


def list_names(ep) -> list[str]:
    """Names of the entries directly below `ep` (files and dirs); [] if absent."""
    return sorted(list_sizes(ep))


def list_sizes(ep) -> dict[str, int | None]:
    """name -> size of the entries directly below `ep` (None for a directory, or
    where the listing gives no size); {} if absent. One listing, no per-entry request
    on a store (a local directory costs one stat per entry)."""
    try:
        if ep.is_local:
            with translating(ep.url()):
                return _local_sizes(ep.path)
        if getattr(ep, "store", None) is None:
            ep.fs.invalidate_cache(ep.path)
        entries = list_dir(ep)
    except MissingBucket:
        raise   # not "nothing here yet": every read and write of this root would fail
    except NotFound:
        return {}
    except DsctlError:
        if ep.is_local and not os.path.exists(ep.path):
            return {}
        raise
    root = ep.path.rstrip("/")
    out: dict[str, int | None] = {}
    for e in entries:
        name = e["name"].rstrip("/")
        if name != root:
            size = e.get("size") if e.get("type") != "directory" else None
            out[name.rsplit("/", 1)[-1]] = size if isinstance(size, int) else None
    return out


def _local_sizes(path: str) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    with os.scandir(path) as it:
        for e in it:
            try:
                out[e.name] = e.stat().st_size if e.is_file() else None
            except FileNotFoundError:   # removed while listing
                continue
    return out


def put(ep, data: bytes) -> None:
    """Write (or replace) an object; local writes are atomic (temp + rename)."""
    with translating(ep.url()):
        if ep.is_local:
            tmp = _local_temp(ep.path, data)
            try:
                os.replace(tmp, ep.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            return
        if fast(ep):
            ep.store.put(ep.path, data)
        else:
            ep.fs.pipe_file(ep.path, data)


def put_new(ep, data: bytes) -> bool:
    """Create-only write: True if written, False if something was already there."""
    with translating(ep.url()):
        if ep.is_local:
            return _local_create(ep.path, data)
        if fast(ep):
            return ep.store.put_new(ep.path, data)
        if create_only_supported(ep):
            try:
                ep.fs.pipe_file(ep.path, data, mode="create")
                return True
            except Exception as exc:  # noqa: BLE001 - sorted into "taken" or re-raised
                if is_conflict(exc):
                    return False
                raise
        ep.fs.invalidate_cache(ep.path)
        if ep.fs.exists(ep.path):
            return False
        ep.fs.pipe_file(ep.path, data)
        return True


def is_conflict(exc: BaseException) -> bool:
    """Did a create-only write fail because the object exists (HTTP 412 / 409)?"""
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, FileExistsError) or type(e).__name__ == "ResourceExistsError":
            return True
        resp = getattr(e, "response", None)
        if isinstance(resp, dict):
            if resp.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return True
            if resp.get("ResponseMetadata", {}).get("HTTPStatusCode") == 412:
                return True
        for attr in ("status_code", "status", "code"):
            if getattr(e, attr, None) == 412:
                return True
        e = e.__cause__ or e.__context__
    return False


def _local_temp(path: str, data: bytes) -> str:
    parent = os.path.dirname(path) or "."
    os.makedirs(parent, exist_ok=True)
    # not mkstemp: its 0600 would make a shared local root unreadable to the team
    fd, tmp = create_temp(parent, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _local_create(path: str, data: bytes) -> bool:
    tmp = _local_temp(path, data)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # No hard links here (some network/FUSE filesystems): O_EXCL still decides atomically.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
