"""Interoperability with the providers' own SDKs.

Objects written by another client (boto3, azure-storage-blob) in several parts
are read back by dsctl byte-identical, and what dsctl writes is read back
byte-identical by that client. Servers: SeaweedFS (`s3_server`, enforced
credentials) and Azurite (`azure_server`).
"""

from __future__ import annotations

import hashlib
import os
import uuid

import boto3
import boto3.s3.transfer
import pytest

from .cli import run

MiB = 1024 * 1024
SIZE = 23 * MiB + 4321        # several parts with a ragged last one
DSCTL_PART = 8 * MiB          # dsctl's default --part-size


def _uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _same(a: bytes, b: bytes) -> bool:
    return len(a) == len(b) and hashlib.sha256(a).digest() == hashlib.sha256(b).digest()


def _nparts(data_len: int, part: int) -> int:
    return -(-data_len // part)


@pytest.fixture(scope="module")
def payload() -> bytes:
    return os.urandom(SIZE)


# -- S3 (SeaweedFS) -------------------------------------------------------------

@pytest.fixture
def s3(s3_server):
    return boto3.client("s3", endpoint_url=s3_server.endpoint_url, region_name="us-east-1",
                        aws_access_key_id=s3_server.admin_key,
                        aws_secret_access_key=s3_server.admin_secret)


@pytest.fixture
def s3_bucket(s3):
    name = _uid("interop")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_env(s3_server) -> dict:
    return {"AWS_ACCESS_KEY_ID": s3_server.admin_key, "AWS_SECRET_ACCESS_KEY": s3_server.admin_secret,
            "AWS_ENDPOINT_URL": s3_server.endpoint_url}


def test_boto3_multipart_upload_read_by_dsctl(s3, s3_bucket, s3_env, payload, tmp_path):
    key = f"{_uid('p')}/boto3.bin"
    src = tmp_path / "src.bin"
    src.write_bytes(payload)
    cfg = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_file(str(src), s3_bucket, key, Config=cfg)
    head = s3.head_object(Bucket=s3_bucket, Key=key)
    assert head["ContentLength"] == SIZE
    # It really is a multipart object: 23 MiB in 5 MiB parts -> 5 parts.
    assert head["ETag"].strip('"').endswith(f"-{_nparts(SIZE, 5 * MiB)}"), head["ETag"]

    r = run("cp", f"s3://{s3_bucket}/{key}", tmp_path / "out.bin", env=s3_env)
    assert r.code == 0, r
    assert _same((tmp_path / "out.bin").read_bytes(), payload)

    r = run("cat", f"s3://{s3_bucket}/{key}", env=s3_env)
    assert r.code == 0, r
    assert _same(r.out, payload)

    r = run("download", f"s3://{s3_bucket}/{key.split('/')[0]}", tmp_path / "dl", env=s3_env)
    assert r.code == 0, r
    assert _same((tmp_path / "dl" / key).read_bytes(), payload)


@pytest.mark.parametrize("part_mib", [None, 5], ids=["default-part", "part-5MiB"])
def test_dsctl_upload_read_by_boto3(s3, s3_bucket, s3_env, payload, tmp_path, part_mib):
    key = f"{_uid('p')}/dsctl.bin"
    src = tmp_path / "src.bin"
    src.write_bytes(payload)
    extra = ["--part-size", f"{part_mib}MiB"] if part_mib else []
    r = run("cp", *extra, src, f"s3://{s3_bucket}/{key}", env=s3_env)
    assert r.code == 0, r

    obj = s3.get_object(Bucket=s3_bucket, Key=key)
    assert obj["ContentLength"] == SIZE
    assert _same(obj["Body"].read(), payload)
    # dsctl sent it as a multipart upload of --part-size parts:
    # 23 MiB + 4321 B in 8 MiB parts -> 3 parts ("-3"); in 5 MiB parts -> 5 parts ("-5").
    part_size = part_mib * MiB if part_mib else DSCTL_PART
    parts = _nparts(SIZE, part_size)
    etag = obj["ETag"].strip('"')
    assert etag.endswith(f"-{parts}"), f"ETag {etag!r}: expected a {parts}-part multipart upload"
    # Part sizes as the server recorded them (GetObject partNumber=1 = the first part).
    first = s3.head_object(Bucket=s3_bucket, Key=key, PartNumber=1)
    assert first["ContentLength"] == part_size, first
    assert first.get("PartsCount", parts) == parts, first
    # No multipart upload left open behind a successful copy.
    assert not s3.list_multipart_uploads(Bucket=s3_bucket).get("Uploads")


# -- Azure Blob (Azurite) ---------------------------------------------------------

@pytest.fixture
def azure(azure_server):
    from azure.storage.blob import BlobServiceClient

    # Small single-put limit and block size: the SDK stages blocks and commits a block list.
    return BlobServiceClient.from_connection_string(azure_server.connection_string,
                                                    max_single_put_size=1 * MiB,
                                                    max_block_size=4 * MiB)


@pytest.fixture
def container(azure):
    name = _uid("interop")
    azure.create_container(name)
    return name


@pytest.fixture
def az_env(azure_server) -> dict:
    return {"AZURE_STORAGE_CONNECTION_STRING": azure_server.connection_string}


def test_azure_sdk_block_upload_read_by_dsctl(azure, container, az_env, payload, tmp_path):
    blob_name = f"{_uid('p')}/sdk.bin"
    blob = azure.get_blob_client(container, blob_name)
    blob.upload_blob(payload, max_concurrency=2)
    blocks, uncommitted = blob.get_block_list("all")
    assert not uncommitted
    assert len(blocks) == _nparts(SIZE, 4 * MiB), [b.size for b in blocks]  # 6 staged blocks

    r = run("download", f"az://{container}/{blob_name.split('/')[0]}", tmp_path / "dl", env=az_env)
    assert r.code == 0, r
    assert _same((tmp_path / "dl" / blob_name).read_bytes(), payload)

    r = run("cp", f"az://{container}/{blob_name}", tmp_path / "out.bin", env=az_env)
    assert r.code == 0, r
    assert _same((tmp_path / "out.bin").read_bytes(), payload)

    r = run("cat", f"az://{container}/{blob_name}", env=az_env)
    assert r.code == 0, r
    assert _same(r.out, payload)


def test_dsctl_upload_read_by_azure_sdk(azure, container, az_env, payload, tmp_path):
    prefix = _uid("p")
    src = tmp_path / "dsctl.bin"
    src.write_bytes(payload)
    r = run("upload", src, f"az://{container}/{prefix}/", env=az_env)
    assert r.code == 0, r

    blob = azure.get_blob_client(container, f"{prefix}/dsctl.bin")
    props = blob.get_blob_properties()
    assert props.size == SIZE
    assert _same(blob.download_blob(max_concurrency=2).readall(), payload)
    # Sent as staged blocks of --part-size (8 MiB: 3 blocks) committed once; none left uncommitted.
    blocks, uncommitted = blob.get_block_list("all")
    assert not uncommitted, [b.size for b in uncommitted]
    assert [b.size for b in blocks] == [DSCTL_PART, DSCTL_PART, SIZE - 2 * DSCTL_PART]
    # And only that one blob appeared under the prefix.
    names = [b.name for b in azure.get_container_client(container).list_blobs(name_starts_with=prefix)]
    assert names == [f"{prefix}/dsctl.bin"], names
