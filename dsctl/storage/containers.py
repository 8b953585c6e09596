"""Whether an endpoint's bucket or container exists - asked once, after a failure.

Why after, not before: a check up front costs every run a request (and a
write-only credential may not be allowed to make it), while the answer only
matters when files are already failing. Then it tells "the bucket is missing,
every file will fail alike" (one line, exit 3, stop) from ordinary per-file
failures - including on servers that do not say NoSuchBucket themselves
(SeaweedFS answers a copy into a missing bucket with a 500, gcsfs says only
"not found").
"""

from __future__ import annotations

from ..errors import DsctlError, MissingBucket, NotFound
from .translate import translating

BUCKETED = frozenset({"s3", "gs", "az"})   # schemes whose first path segment is a bucket


def _bucket(ep) -> str | None:
    """`ep`'s bucket or container name (its path's first segment), None where none."""
    if ep.backend.scheme not in BUCKETED:
        return None
    return ep.path.strip("/").split("/", 1)[0] or None


def container_url(ep) -> str | None:
    """The URL of `ep`'s bucket or container (`s3://name`), None where there is none."""
    bucket = _bucket(ep)
    return ep.url(bucket) if bucket else None


def missing_container(ep) -> MissingBucket | None:
    """A MissingBucket error if the store says `ep`'s bucket or container does not
    exist; None if it does, if the store has none, or if it cannot tell (no
    permission to look, unreachable)."""
    bucket = _bucket(ep)
    if bucket is None or ep.fs is None:
        return None
    url = ep.url(bucket)
    try:
        with translating(url):
            ep.fs.invalidate_cache(bucket)
            ep.fs.info(bucket)
    except MissingBucket as e:
        return e
    except NotFound:
        return MissingBucket("bucket or container not found", url)
    except DsctlError:
        return None
    return None
