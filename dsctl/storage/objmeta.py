"""Listings and metadata for the fast path, through dsctl's own clients.

`Metadata` is the half of objstore.FastBackend that answers "what is there":
HEAD, info (file, directory or absent), one-level and recursive listings, and
Azure's folder markers - on storage.s3client and storage.azclient, which name
keys exactly, stream page by page and import neither obstore nor an SDK. The
other half (objstore) moves the bytes through obstore.
"""

from __future__ import annotations

from typing import Iterator

from .fast import key_ok


class Metadata:
    """Mixed into FastBackend: needs its `s` (settings), `scheme` and `split`."""

    _s3 = None
    _az = None

    @property
    def s3(self):
        """dsctl's own S3 client (listings, HEAD, small GETs, spliced ranges), built on first use."""
        if self._s3 is None and self.scheme == "s3":
            from .s3client import S3Client, S3Target, cafile_from_env

            s = self.s
            self._s3 = S3Client(S3Target(
                s["endpoint"], s["region"], None if s["anon"] else s["key"],
                None if s["anon"] else s["secret"], s.get("token"), s["virtual"],
                cafile_from_env(), float(s.get("read_timeout", 60)), int(s.get("attempts", 4))))
        return self._s3

    @property
    def az(self):
        """dsctl's own Azure Blob client (listings, HEAD), built on first use."""
        if self._az is None and self.scheme == "az":
            from .azclient import AzureClient, AzureTarget
            from .s3client import cafile_from_env

            s = self.s
            self._az = AzureClient(AzureTarget(s["endpoint"], s["account"], s["key"], cafile_from_env()))
        return self._az

    def folder_markers(self, root: str) -> list[str]:
        """Azure: the folder-marker blobs (hdi_isfolder) at and below a directory path,
        deepest first - what `rm -r` must delete after the files for the directory to
        be gone. Other stores have none."""
        bucket, key = self.split(root.rstrip("/"))
        if self.scheme != "az" or not bucket or not key:
            return []
        found = [b["name"] for blobs, _ in self.az.pages(bucket, key + "/")
                 for b in blobs if b["type"] == "directory"]
        if key_ok(key):
            from .azclient import is_folder_marker

            try:
                if is_folder_marker(self.az.head(bucket, key)["metadata"]):
                    found.append(f"{bucket}/{key}")
            except FileNotFoundError:
                pass
        return sorted(found, key=lambda p: -p.count("/"))

    def head(self, path: str) -> dict:
        bucket, key = self.split(path)
        # dsctl's own clients: no obstore import and store build (~10 ms), and Azure's
        # blob metadata (folder markers)
        m = self.s3.head(bucket, key) if self.scheme == "s3" else self.az.head(bucket, key)
        info = {"name": path, "size": m["size"], "type": "file", "LastModified": m.get("last_modified"),
                "ETag": m.get("e_tag")}
        for k in ("content_type", "content_md5", "access_tier"):   # Azure's (and S3's type)
            if m.get(k):
                info[k] = m[k]
        if self.scheme == "az":
            from .azclient import is_folder_marker

            if is_folder_marker(m.get("metadata") or {}):
                info.update(type="directory", size=0)
        if self.scheme == "s3":
            info.update(Key=key, Size=m["size"])
            if m.get("version"):
                info["VersionId"] = m["version"]
        return info

    def info(self, path: str) -> dict | None:
        """fsspec-style info (file or directory), FileNotFoundError if absent, or None
        when fsspec should answer (keys the fast path cannot name exactly)."""
        bucket, key = self.split(path)
        if not bucket:
            return None
        if not key:
            self._any_below(bucket, "")   # raises for a missing bucket / container
            return {"name": bucket, "type": "directory", "size": 0}
        if not key_ok(key):
            return None
        try:
            meta = self.head(path)
        except FileNotFoundError:
            meta = None
        if meta is not None:
            return meta
        if self._any_below(bucket, key + "/"):
            return {"name": path, "type": "directory", "size": 0}
        raise FileNotFoundError(path)

    def _any_below(self, bucket: str, prefix: str) -> bool:
        return (self.s3 if self.scheme == "s3" else self.az).any_below(bucket, prefix)

    def iter_files(self, root: str) -> Iterator[tuple[str, dict]] | None:
        """(path, info) of every object below a directory path, streamed; None if not here."""
        bucket, key = self.split(root.rstrip("/"))
        if not bucket:
            return None
        prefix = key + "/" if key else ""
        found = (self.s3.iter_objects(bucket, prefix) if self.scheme == "s3"
                 else self.az.iter_files(bucket, prefix))
        return ((o["name"], o) for o in found)

    def ls(self, root: str) -> Iterator[dict] | None:
        """Info dicts of the objects and sub-prefixes directly below a directory path
        (one delimited listing, page by page); None if not here (fsspec answers)."""
        pages = self.ls_pages(root)
        return None if pages is None else (m for page in pages for m in page)

    def ls_pages(self, root: str) -> Iterator[list[dict]] | None:
        """ls() a page at a time, as the service answers: each page covers the next
        range of names, so sorting each one sorts the whole (ls streams, SPEC 2)."""
        bucket, key = self.split(root.rstrip("/"))
        if not bucket:   # the store's root: its buckets or containers
            return iter([list(self.s3.buckets() if self.scheme == "s3" else self.az.containers())])
        prefix = key + "/" if key else ""
        return self._az_pages(bucket, prefix) if self.scheme == "az" else self._s3_pages(bucket, prefix)

    def _s3_pages(self, bucket: str, prefix: str) -> Iterator[list[dict]]:
        for objs, prefixes in self.s3.pages(bucket, prefix, delimiter="/"):
            yield objs + [{"name": f"{bucket}/{p[:-1] if p.endswith('/') else p}", "Key": p,
                           "type": "directory", "size": 0, "Size": 0, "StorageClass": "DIRECTORY"}
                          for p in prefixes]

    def _az_pages(self, container: str, prefix: str) -> Iterator[list[dict]]:
        # a folder marker `d` and the prefix `d/` of the blobs below it are one directory
        dirs: set[str] = set()
        for blobs, prefixes in self.az.pages(container, prefix, delimiter="/"):
            page = []
            for b in blobs:
                if b["type"] == "directory":
                    if b["name"] in dirs:
                        continue
                    dirs.add(b["name"])
                page.append(b)
            for p in prefixes:
                name = f"{container}/{p[:-1] if p.endswith('/') else p}"
                if name not in dirs:
                    dirs.add(name)
                    page.append({"name": name, "type": "directory", "size": 0})
            yield page
