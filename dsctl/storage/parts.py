"""Parallel part uploads, for stores whose API has them.

fsspec's write files upload their parts one after another; these writers let
the engine upload parts concurrently: S3 multipart uploads and Azure staged
blocks. Parts may arrive in any order; nothing is visible until `complete`,
and `abort` leaves nothing behind (S3: AbortMultipartUpload; Azure: staged
blocks that are never committed are discarded by the service).
GCS has no parallel-part upload API in gcsfs; it streams instead.
"""

from __future__ import annotations

import threading
import uuid

from .mime import content_type


class S3Parts:
    def __init__(self, fs, path: str):
        self.fs = fs
        self.path = path
        self.bucket, self.key, _ = fs.split_path(path)
        typed = {"ContentType": t} if (t := content_type(self.key)) else {}
        self.upload_id = fs.call_s3("create_multipart_upload", Bucket=self.bucket,
                                    Key=self.key, **typed)["UploadId"]
        self.etags: dict[int, str] = {}
        self._lock = threading.Lock()

    def put(self, number: int, data: bytes) -> None:
        r = self.fs.call_s3("upload_part", Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                            PartNumber=number, Body=data)
        with self._lock:
            self.etags[number] = r["ETag"]

    def complete(self) -> None:
        parts = [{"PartNumber": n, "ETag": e} for n, e in sorted(self.etags.items())]
        self.fs.call_s3("complete_multipart_upload", Bucket=self.bucket, Key=self.key,
                        UploadId=self.upload_id, MultipartUpload={"Parts": parts})
        self.fs.invalidate_cache(self.path)

    def abort(self) -> None:
        self.fs.call_s3("abort_multipart_upload", Bucket=self.bucket, Key=self.key,
                        UploadId=self.upload_id)


class AzureParts:
    def __init__(self, fs, path: str):
        self.fs = fs
        self.path = path
        self.container, self.blob, _ = fs.split_path(path)
        self.ids: dict[int, str] = {}
        self._lock = threading.Lock()

    def _run(self, coro_fn, *args):
        from fsspec.asyn import sync

        return sync(self.fs.loop, coro_fn, *args)

    async def _stage(self, block_id: str, data: bytes) -> None:
        cc = self.fs.service_client.get_container_client(self.container)
        async with cc.get_blob_client(self.blob) as bc:
            await bc.stage_block(block_id=block_id, data=data, length=len(data))

    async def _commit(self, ids: list[str]) -> None:
        from azure.storage.blob import BlobBlock, ContentSettings

        t = content_type(self.blob)
        cc = self.fs.service_client.get_container_client(self.container)
        async with cc.get_blob_client(self.blob) as bc:
            await bc.commit_block_list([BlobBlock(block_id=i) for i in ids],
                                       content_settings=ContentSettings(content_type=t) if t else None)

    def put(self, number: int, data: bytes) -> None:
        block_id = uuid.uuid4().hex  # ids of one blob must all have the same length
        self._run(self._stage, block_id, data)
        with self._lock:
            self.ids[number] = block_id

    def complete(self) -> None:
        self._run(self._commit, [i for _, i in sorted(self.ids.items())])
        self.fs.invalidate_cache(self.path)

    def abort(self) -> None:
        pass  # uncommitted blocks never become visible and expire on their own


_WRITERS = {"s3": S3Parts, "az": AzureParts}


def supports_parts(ep) -> bool:
    return ep.backend.scheme in _WRITERS


def part_writer(ep):
    """Start a parallel-part upload to `ep` (call only if supports_parts)."""
    return _WRITERS[ep.backend.scheme](ep.fs, ep.path)
