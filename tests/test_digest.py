"""Request signing hashes on CPython's built-in SHA-256 give the bytes hashlib/hmac give:
a wrong byte here is every S3 request refused (the server tests see that too, but only
for the key lengths their credentials have)."""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest

from dsctl.storage.digest import EMPTY_SHA256, body_sha256_hex, hmac_sha256, sha256_hex


@pytest.mark.parametrize("key_len", [0, 1, 20, 44, 63, 64, 65, 200])   # >64: the key is hashed first
@pytest.mark.parametrize("msg_len", [0, 7, 64, 1000])
def test_hmac_sha256_matches_the_standard_library(key_len, msg_len):
    key, msg = os.urandom(key_len), os.urandom(msg_len)
    assert hmac_sha256(key, msg) == hmac.new(key, msg, hashlib.sha256).digest()


def test_sha256_helpers_match_hashlib():
    data = os.urandom(100_000)
    assert sha256_hex(data) == body_sha256_hex(data) == hashlib.sha256(data).hexdigest()
    assert EMPTY_SHA256 == hashlib.sha256(b"").hexdigest()
