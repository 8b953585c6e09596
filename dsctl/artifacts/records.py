"""Version records: canonical JSON, the uid, and checking what is read back.

A record is a JSON object (fields in SPEC section 5; see store.log for the
full list). Its uid is the sha256 of its canonical form without the uid:
keys sorted, no whitespace, UTF-8, no NaN/Infinity. Stored records are
indented JSON for people browsing a bucket; the uid does not depend on the
formatting. Reading a record re-computes the uid and checks the record's
project/key/version against where it was found: a mismatch is an
IntegrityError (exit 6), never silently accepted.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import math
from typing import Any

from ..errors import IntegrityError

SCHEMA = "dsctl.artifact/v1"


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def compute_uid(record: dict) -> str:
    return sha256_hex(canonical({k: v for k, v in record.items() if k != "uid"}))


def seal(record: dict) -> dict:
    """The record with its uid (as the last field)."""
    body = {k: v for k, v in record.items() if k != "uid"}
    body["uid"] = compute_uid(body)
    return body


def dumps(record: dict) -> bytes:
    return (json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def loads(data: bytes, url: str, *, project: str, key: str, version: int) -> dict:
    """Parse a stored record and check its uid and identity."""
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise IntegrityError("artifact record is not valid JSON (damaged or tampered)", url) from None
    if not isinstance(record, dict) or "uid" not in record:
        raise IntegrityError("artifact record has no uid (damaged or tampered)", url)
    if compute_uid(record) != record["uid"]:
        raise IntegrityError("artifact record does not match its uid (damaged or tampered)", url)
    if (record.get("project"), record.get("key"), record.get("version")) != (project, key, version):
        raise IntegrityError("artifact record is stored under the wrong name (copied or tampered)", url)
    return record


def now() -> str:
    """UTC now, ISO 8601 with milliseconds and a Z."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str) -> dt.datetime:
    """An ISO 8601 time (naive means UTC)."""
    t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def json_safe(v: Any) -> Any:
    """A value JSON (and the canonical form) can hold: NaN -> None, dates -> ISO, bytes -> base64."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, dict):
        return {str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    return str(v)
