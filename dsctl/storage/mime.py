"""The Content-Type an uploaded object gets: guessed from its name, as `aws s3 cp/sync`
and rclone do, so that a site synced to a bucket is served as pages, not downloads.

Python's built-in table (mimetypes.MimeTypes() reads no /etc/mime.types), so every
machine guesses alike. None when the name says nothing (`data.bin`, `x.gz`): the
store's own default then applies. Only the type: a `.tar.gz` is application/x-tar
with no Content-Encoding, as the AWS CLI sends it (a browser would otherwise unpack it).
"""

from __future__ import annotations

_table = None


def content_type(path: str) -> str | None:
    global _table
    if _table is None:
        import mimetypes   # only on an upload: ~1 ms

        _table = mimetypes.MimeTypes()
    return _table.guess_type(path.rsplit("/", 1)[-1], strict=False)[0]


def attributes(path: str) -> dict[str, str] | None:
    """obstore's `attributes` for an upload of `path` (None: nothing to say)."""
    t = content_type(path)
    return {"Content-Type": t} if t else None


def fsspec_kwargs(ep, whole: bool = False) -> dict:
    """Keyword arguments that set the type through an fsspec filesystem: s3fs takes
    botocore's ContentType and gcsfs content_type in pipe_file and open; adlfs passes
    pipe_file's (`whole`) on to upload_blob (its large uploads: storage.parts)."""
    t = content_type(ep.path)
    scheme = ep.backend.scheme
    if not t:
        return {}
    if scheme == "s3":
        return {"ContentType": t}
    if scheme == "gs":
        return {"content_type": t}
    if scheme == "az" and whole:
        from azure.storage.blob import ContentSettings   # loaded with adlfs already

        return {"content_settings": ContentSettings(content_type=t)}
    return {}
