"""SHA-256 and HMAC-SHA256 for request signing, without loading OpenSSL.

Why: `hashlib` and `hmac` load libcrypto at import, ~2.7 ms of every S3 command's
start-up (of ~65 ms), to hash a few hundred bytes per request. CPython's built-in
SHA-256 (`_sha2`, `_sha256` before 3.12) does that in microseconds. Bodies are
hashed with `hashlib` all the same (imported on the first one): OpenSSL's SHA-256
is several times faster per byte than the built-in one.
"""

from __future__ import annotations

import sys

try:   # by version, not by trying both: a failed import searches the whole sys.path
    if sys.version_info >= (3, 12):
        from _sha2 import sha256 as _sha256
    else:
        from _sha256 import sha256 as _sha256
except ImportError:   # a build without the built-in hashes
    from hashlib import sha256 as _sha256

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_BLOCK = 64   # SHA-256's block size, the HMAC key length
_IPAD = int.from_bytes(b"\x36" * _BLOCK, "big")
_OPAD = int.from_bytes(b"\x5c" * _BLOCK, "big")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of a short string (a canonical request, not a body)."""
    return _sha256(data).hexdigest()


def body_sha256_hex(body) -> str:
    """Hex SHA-256 of a request body, on OpenSSL (fast per byte; loaded on first use)."""
    import hashlib

    return hashlib.sha256(body).hexdigest()


def hmac_sha256(key: bytes, msg: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104) of msg under key; the same bytes as hmac.new(key, msg, sha256)."""
    if len(key) > _BLOCK:
        key = _sha256(key).digest()
    k = int.from_bytes(key.ljust(_BLOCK, b"\0"), "big")
    inner = _sha256((k ^ _IPAD).to_bytes(_BLOCK, "big") + msg).digest()
    return _sha256((k ^ _OPAD).to_bytes(_BLOCK, "big") + inner).digest()
