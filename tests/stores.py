"""One adapter per backend for the conformance suite.

A Store knows its base URL (a fresh prefix per test), the environment dsctl
needs to reach it (the servers' own credentials), and an independent client
(plain files, fsspec with explicit options, or the web server's document
root) used to seed data and to check what dsctl wrote.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fsspec

BUCKET = "dsctl-test"
WRITABLE = ("local", "memory", "s3", "gs", "az")
ALL = WRITABLE + ("http",)


@dataclass
class Store:
    name: str
    base: str                 # URL of this test's prefix, no trailing slash
    fs: Any                   # independent client used for seeding/checking
    fs_base: str              # the same prefix as a path in `fs`
    env: dict = field(default_factory=dict)
    writable: bool = True

    def url(self, rel: str = "") -> str:
        return f"{self.base}/{rel}" if rel else self.base

    def _p(self, rel: str) -> str:
        return f"{self.fs_base}/{rel}" if rel else self.fs_base

    def put(self, rel: str, data: bytes) -> None:
        p = self._p(rel)
        if self.name in ("local", "http"):
            os.makedirs(os.path.dirname(p), exist_ok=True)
            Path(p).write_bytes(data)
        else:
            self.fs.pipe_file(p, data)

    def put_many(self, files: dict[str, bytes]) -> None:
        if self.name in ("local", "http", "memory"):
            for rel, data in files.items():
                self.put(rel, data)
        else:
            self.fs.pipe({self._p(rel): data for rel, data in files.items()})

    def get(self, rel: str) -> bytes:
        p = self._p(rel)
        if self.name in ("local", "http"):
            return Path(p).read_bytes()
        return self.fs.cat_file(p)

    def exists(self, rel: str) -> bool:
        p = self._p(rel)
        if self.name in ("local", "http"):
            return os.path.isfile(p)
        self.fs.invalidate_cache()
        return self.fs.isfile(p)

    def keys(self) -> set[str]:
        """Every file below this test's prefix, relative to it."""
        root = self.fs_base.rstrip("/")
        if self.name in ("local", "http"):
            out = set()
            for d, _, files in os.walk(root):
                for f in files:
                    out.add(os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/"))
            return out
        self.fs.invalidate_cache()
        return {p[len(root) + 1:] for p in self.fs.find(root) if p.startswith(root + "/")}


def _prefix() -> str:
    return "t-" + uuid.uuid4().hex[:10]


def make_store(name: str, request, tmp_path: Path) -> Store:
    """Build the Store for backend `name`, starting its server if needed."""
    if name == "local":
        base = tmp_path / "store"
        base.mkdir()
        return Store("local", str(base), None, str(base))
    if name == "memory":
        p = _prefix()
        return Store("memory", f"memory://{p}", fsspec.filesystem("memory"), f"/{p}")
    if name == "s3":
        srv = request.getfixturevalue("s3_server")
        env = {"AWS_ACCESS_KEY_ID": srv.admin_key, "AWS_SECRET_ACCESS_KEY": srv.admin_secret,
               "AWS_ENDPOINT_URL": srv.endpoint_url}
        fs = fsspec.filesystem("s3", key=srv.admin_key, secret=srv.admin_secret,
                               endpoint_url=srv.endpoint_url, skip_instance_cache=True)
        _ensure_bucket(fs, BUCKET)
        p = _prefix()
        return Store("s3", f"s3://{BUCKET}/{p}", fs, f"{BUCKET}/{p}", env)
    if name == "gs":
        srv = request.getfixturevalue("gcs_server")
        env = {"STORAGE_EMULATOR_HOST": srv.endpoint_url}
        fs = fsspec.filesystem("gcs", endpoint_url=srv.endpoint_url, token="anon", project="test",
                               skip_instance_cache=True)
        _ensure_bucket(fs, BUCKET)
        p = _prefix()
        return Store("gs", f"gs://{BUCKET}/{p}", fs, f"{BUCKET}/{p}", env)
    if name == "az":
        srv = request.getfixturevalue("azure_server")
        env = {"AZURE_STORAGE_CONNECTION_STRING": srv.connection_string}
        fs = fsspec.filesystem("abfs", connection_string=srv.connection_string, skip_instance_cache=True)
        _ensure_bucket(fs, BUCKET)
        p = _prefix()
        return Store("az", f"az://{BUCKET}/{p}", fs, f"{BUCKET}/{p}", env)
    if name == "http":
        srv = request.getfixturevalue("http_server")
        p = _prefix()
        root = Path(srv.root) / p
        root.mkdir(parents=True)
        os.chmod(root, 0o777)
        return Store("http", f"{srv.http_url.rstrip('/')}/{p}", None, str(root),
                     {"SSL_CERT_FILE": str(srv.ca_file)}, writable=False)
    raise ValueError(name)


def store_in_env(name: str, request, tmp_path: Path, monkeypatch) -> Store:
    """make_store, with the store's environment (its server's credentials) set for dsctl."""
    store = make_store(name, request, tmp_path)
    for k, v in store.env.items():
        monkeypatch.setenv(k, v)
    return store


def _ensure_bucket(fs, bucket: str) -> None:
    """Create the test bucket once; a bucket that already exists is fine."""
    try:
        fs.mkdir(bucket)
    except Exception:  # each SDK says "exists" its own way (gcsfs: HttpError 409)
        fs.invalidate_cache()
        if not fs.exists(bucket):
            raise


def service_account(token_uri: str, client_email: str = "a@p.iam.gserviceaccount.com") -> dict:
    """A Google service-account JSON that google-auth accepts (a fresh RSA key), for
    credential paths that never reach Google: the token endpoint is the caller's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {"type": "service_account", "project_id": "p", "private_key_id": "1",
            "private_key": key.decode(), "client_email": client_email, "client_id": "1",
            "token_uri": token_uri}
