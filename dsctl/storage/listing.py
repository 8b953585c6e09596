"""Recursive file listings that stream where the store allows it.

`iter_files(ep)` yields (path, info) for every file below a directory
endpoint. On S3 it walks ListObjectsV2 pages as they arrive (keys come back in
lexicographic order), so `ls -r` prints its first line long before a 100k-key
listing ends and never holds it all. Other stores go through fsspec's `find`,
sorted.
"""

from __future__ import annotations

from typing import Iterator

from .translate import translating

PAGE = 1000


def iter_files(ep) -> Iterator[tuple[str, dict]]:
    root = ep.path.rstrip("/")
    store = getattr(ep, "store", None)
    found = store.iter_files(root) if store is not None else None
    if found is not None:
        # exact keys, page by page (storage.s3list), without importing s3fs
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
        found = ep.fs.find(root, detail=True, withdirs=False)
    for path in sorted(found):
        yield path, found[path]


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
