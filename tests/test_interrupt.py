"""Ctrl-C (and SIGTERM) really sent to a real `python -m dsctl` mid-transfer.

SPEC section 3: exit 130, and nothing half-written is left at the destination:
no object and no open multipart upload on S3, no file and no
`.<name>.<random>.dsctl-part` temp file in a local directory.

The server is SeaweedFS (`s3_server`). One ~512 MiB random file is written once
per module and uploaded once (for the download cases), so each transfer takes
seconds on this kind of machine and the signal always lands mid-way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import boto3
import boto3.s3.transfer
import pytest
from botocore.exceptions import ClientError

from .cli import REPO

MiB = 1024 * 1024
BIG_SIZE = 512 * MiB
BUCKET = "dsctl-interrupt"
TEMP_SUFFIX = ".dsctl-part"
EXIT_TIMEOUT = 30        # seconds dsctl may take to clean up after the signal
START_TIMEOUT = 20       # seconds to wait for the transfer to be visibly under way


# -- fixtures -------------------------------------------------------------------

@pytest.fixture(scope="module")
def s3(s3_server):
    client = boto3.client("s3", endpoint_url=s3_server.endpoint_url, region_name="us-east-1",
                          aws_access_key_id=s3_server.admin_key,
                          aws_secret_access_key=s3_server.admin_secret)
    try:
        client.create_bucket(Bucket=BUCKET)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    return client


@pytest.fixture(scope="module")
def s3_env(s3_server) -> dict:
    return {"AWS_ACCESS_KEY_ID": s3_server.admin_key,
            "AWS_SECRET_ACCESS_KEY": s3_server.admin_secret,
            "AWS_ENDPOINT_URL": s3_server.endpoint_url}


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Iterator[Path]:
    """~512 MiB of incompressible random bytes, written once per module (deleted after it:
    pytest keeps the last few base temp dirs)."""
    path = tmp_path_factory.mktemp("interrupt-src") / "big.bin"
    with open(path, "wb") as f:
        for _ in range(BIG_SIZE // (16 * MiB)):
            f.write(os.urandom(16 * MiB))
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def big_object(s3, big_file) -> Iterator[str]:
    """The big file as an S3 object, `<prefix>/big.bin`; returns the key."""
    key = f"dl-{uuid.uuid4().hex[:10]}/big.bin"
    cfg = boto3.s3.transfer.TransferConfig(multipart_chunksize=64 * MiB, max_concurrency=4)
    s3.upload_file(str(big_file), BUCKET, key, Config=cfg)
    assert s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"] == BIG_SIZE
    yield key
    s3.delete_object(Bucket=BUCKET, Key=key)


# -- helpers --------------------------------------------------------------------

def _reset_sigint():  # a parent that ignores SIGINT must not make the child ignore it
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Dsctl:
    """`python -m dsctl ARGS` as a real process that we can signal."""

    def __init__(self, *args, env: dict, stdin=subprocess.DEVNULL):
        full_env = dict(os.environ)
        full_env.update(env)
        self.args = [str(a) for a in args]
        self.proc = subprocess.Popen([sys.executable, "-m", "dsctl", *self.args], env=full_env,
                                     cwd=REPO, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, preexec_fn=_reset_sigint)
        self.started = time.monotonic()
        self.stdout = b""
        self.stderr = ""

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_until(self, cond, what: str, timeout: float = START_TIMEOUT) -> float:
        """Poll `cond()` until true; fail (with stderr) if dsctl exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return time.monotonic() - self.started
            if not self.running():
                self.finish(0)
                pytest.fail(f"dsctl exited (code {self.proc.returncode}) before {what}; "
                            f"the transfer was too quick to interrupt.\n{self.describe()}")
            time.sleep(0.02)
        self.kill()
        pytest.fail(f"timed out waiting for {what}\n{self.describe()}")

    def signal(self, sig: int) -> float:
        assert self.running(), f"dsctl finished before it could be signalled\n{self.describe()}"
        self.proc.send_signal(sig)
        return time.monotonic()

    def finish(self, timeout: float = EXIT_TIMEOUT) -> int:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"dsctl did not exit within {timeout}s of the signal\n{self.describe()}")
        self.stdout, self.stderr = out, err.decode("utf-8", "replace")
        return self.proc.returncode

    def kill(self) -> None:
        if self.running():
            self.proc.kill()
        out, err = self.proc.communicate()
        self.stdout, self.stderr = out or b"", (err or b"").decode("utf-8", "replace")

    def describe(self) -> str:
        return (f"command: dsctl {' '.join(self.args)}\nexit code: {self.proc.returncode}\n"
                f"stderr:\n{self.stderr[-3000:]}")


def _uploads(s3, key: str) -> list[dict]:
    """Multipart uploads in progress for exactly `key`."""
    resp = s3.list_multipart_uploads(Bucket=BUCKET, Prefix=key)
    return [u for u in resp.get("Uploads", []) if u["Key"] == key]


def _object_exists(s3, key: str) -> bool:
    try:
        s3.head_object(Bucket=BUCKET, Key=key)
        return True
    except ClientError as e:
        if e.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def _files_below(root: Path) -> list[str]:
    out = []
    for d, _, names in os.walk(root):
        for n in names:
            out.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(out)


def _temp_files(root: Path) -> list[str]:
    return [f for f in _files_below(root) if f.endswith(TEMP_SUFFIX)]


def _assert_interrupted(p: Dsctl, code: int) -> None:
    assert code == 130, f"expected exit 130 after the signal\n{p.describe()}"
    assert "Traceback" not in p.stderr, f"traceback on stderr\n{p.describe()}"
    assert "interrupted" in p.stderr.lower(), f"no 'interrupted' message\n{p.describe()}"


# -- upload: local -> s3 ----------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_upload_leaves_no_object_and_no_multipart_upload(s3, s3_env, big_file, sig):
    key = f"up-{uuid.uuid4().hex[:10]}/big.bin"
    p = Dsctl("cp", big_file, f"s3://{BUCKET}/{key}", env=s3_env)
    # Under way = the multipart upload exists on the server; give it a moment to send parts.
    p.wait_until(lambda: bool(_uploads(s3, key)), "the multipart upload to appear")
    time.sleep(0.5)
    sent = p.signal(sig)
    code = p.finish()
    took = time.monotonic() - sent
    _assert_interrupted(p, code)
    assert took < 15, f"took {took:.1f}s to exit after the signal\n{p.describe()}"
    assert not _object_exists(s3, key), f"a (partial) object was left at {key}\n{p.describe()}"
    left = _uploads(s3, key)
    assert not left, f"multipart upload(s) left open for {key}: {left}\n{p.describe()}"
    # and nothing else appeared under the key's prefix
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=key.split("/")[0] + "/").get("Contents", [])
    assert not listed, f"objects left under the prefix: {[o['Key'] for o in listed]}"


# -- download: s3 -> local --------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_cp_download_leaves_no_file_and_no_temp(s3_env, big_object, tmp_path, sig):
    dest = tmp_path / "dest"
    dest.mkdir()
    p = Dsctl("cp", f"s3://{BUCKET}/{big_object}", dest / "out.bin", env=s3_env)
    # Under way = dsctl's temp file exists in the destination directory.
    p.wait_until(lambda: bool(_temp_files(dest)), "the temp file to appear")
    time.sleep(0.15)
    p.signal(sig)
    code = p.finish()
    _assert_interrupted(p, code)
    assert not (dest / "out.bin").exists(), f"out.bin was written\n{p.describe()}"
    assert _files_below(dest) == [], f"files left in the destination: {_files_below(dest)}\n{p.describe()}"


def test_interrupted_download_command_leaves_no_files(s3_env, big_object, tmp_path):
    prefix = big_object.split("/")[0]
    dest = tmp_path / "dest"
    dest.mkdir()
    p = Dsctl("download", f"s3://{BUCKET}/{prefix}", dest, env=s3_env)
    p.wait_until(lambda: bool(_temp_files(dest)), "the temp file to appear")
    time.sleep(0.15)
    p.signal(signal.SIGINT)
    code = p.finish()
    _assert_interrupted(p, code)
    assert not (dest / prefix / "big.bin").exists(), f"big.bin was written\n{p.describe()}"
    assert _files_below(dest) == [], f"files left in the destination: {_files_below(dest)}\n{p.describe()}"
    # nor the directory dsctl made for the file (dest itself was there before)
    assert list(dest.iterdir()) == [], f"left in the destination: {list(dest.iterdir())}\n{p.describe()}"


def test_uninterrupted_runs_complete(s3, s3_env, big_object, tmp_path):
    """Control: the same download runs to completion when left alone (so the tests above
    really did interrupt a transfer that would otherwise have succeeded)."""
    p = Dsctl("cp", f"s3://{BUCKET}/{big_object}", tmp_path / "out.bin", env=s3_env)
    code = p.finish(120)
    assert code == 0, p.describe()
    assert (tmp_path / "out.bin").stat().st_size == BIG_SIZE
    assert _temp_files(tmp_path) == []
    (tmp_path / "out.bin").unlink()
