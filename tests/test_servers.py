"""Smoke tests of the server fixtures, using the real client libraries directly."""

from __future__ import annotations

import os

os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"  # before gcsfs is imported

import base64  # noqa: E402
import ssl  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402

import boto3  # noqa: E402
import pytest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


def _s3(endpoint_url: str, key: str, secret: str):
    return boto3.client(
        "s3", endpoint_url=endpoint_url, aws_access_key_id=key, aws_secret_access_key=secret,
        region_name="us-east-1", config=Config(retries={"max_attempts": 1}))


def _bucket() -> str:
    return f"smoke-{uuid.uuid4().hex[:12]}"


def test_seaweed_put_get_and_keys_enforced(s3_server):
    admin = _s3(s3_server.endpoint_url, s3_server.admin_key, s3_server.admin_secret)
    bucket = _bucket()
    admin.create_bucket(Bucket=bucket)
    admin.put_object(Bucket=bucket, Key="dir/hello.txt", Body=b"hello seaweed")
    assert admin.get_object(Bucket=bucket, Key="dir/hello.txt")["Body"].read() == b"hello seaweed"

    wrong = _s3(s3_server.endpoint_url, s3_server.admin_key, "not-the-secret")
    with pytest.raises(ClientError) as err:
        wrong.get_object(Bucket=bucket, Key="dir/hello.txt")
    assert err.value.response["Error"]["Code"] in {"SignatureDoesNotMatch", "AccessDenied"}

    reader = _s3(s3_server.endpoint_url, s3_server.reader_key, s3_server.reader_secret)
    assert reader.get_object(Bucket=bucket, Key="dir/hello.txt")["Body"].read() == b"hello seaweed"
    with pytest.raises(ClientError) as err:
        reader.put_object(Bucket=bucket, Key="dir/nope.txt", Body=b"x")
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_seaweed_missing_bucket_not_autocreated(s3_server):
    admin = _s3(s3_server.endpoint_url, s3_server.admin_key, s3_server.admin_secret)
    with pytest.raises(ClientError) as err:
        admin.put_object(Bucket=_bucket(), Key="k", Body=b"x")
    assert err.value.response["Error"]["Code"] == "NoSuchBucket"


def test_moto_keeps_dot_dot_keys_literally(moto_server):
    client = _s3(moto_server.endpoint_url, "anything", "anything")
    bucket = _bucket()
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="a/../evil.txt", Body=b"evil")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["a/../evil.txt"]


def test_azurite_upload_download_and_key_enforced(azure_server):
    from azure.core.exceptions import HttpResponseError
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azure_server.connection_string)
    container = service.create_container(_bucket())
    container.upload_blob("dir/hello.txt", b"hello azurite")
    assert container.download_blob("dir/hello.txt").readall() == b"hello azurite"

    bad_key = base64.b64encode(b"\0" * 64).decode()
    bad = BlobServiceClient.from_connection_string(
        azure_server.connection_string.replace(azure_server.account_key, bad_key),
        retry_total=0)
    with pytest.raises(HttpResponseError) as err:
        bad.get_container_client(container.container_name).download_blob("dir/hello.txt")
    assert err.value.status_code == 403


def test_fake_gcs_put_get(gcs_server):
    import gcsfs

    fs = gcsfs.GCSFileSystem(endpoint_url=gcs_server.endpoint_url, token="anon",
                             project="test", skip_instance_cache=True)
    bucket = _bucket()
    fs.mkdir(bucket)
    fs.pipe(f"{bucket}/dir/hello.txt", b"hello gcs")
    assert fs.cat(f"{bucket}/dir/hello.txt") == b"hello gcs"


def _get(url: str, headers=None, context=None):
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=context))
    with opener.open(request, timeout=10) as response:
        return response.status, response.read()


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_nginx_ranged_get(http_server, scheme):
    data = os.urandom(4096)
    (http_server.root / "blob.bin").write_bytes(data)
    base = http_server.http_url if scheme == "http" else http_server.https_url
    ctx = ssl.create_default_context(cafile=str(http_server.ca_file))
    status, body = _get(f"{base}/blob.bin", {"Range": "bytes=100-1099"}, ctx)
    assert (status, body) == (206, data[100:1100])
    status, body = _get(f"{base}/blob.bin", None, ctx)
    assert (status, body) == (200, data)
    status, listing = _get(f"{base}/", None, ctx)
    assert b"blob.bin" in listing


def test_nginx_private_needs_basic_auth(http_server):
    (http_server.root / "private" / "secret.txt").write_bytes(b"s3cr3t")
    url = f"{http_server.http_url}/private/secret.txt"
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(url)
    assert err.value.code == 401
    token = base64.b64encode(f"{http_server.user}:{http_server.password}".encode()).decode()
    assert _get(url, {"Authorization": f"Basic {token}"}) == (200, b"s3cr3t")
    wrong = base64.b64encode(f"{http_server.user}:nope".encode()).decode()
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(url, {"Authorization": f"Basic {wrong}"})
    assert err.value.code == 401


def test_startup_times(s3_server, moto_server, azure_server, gcs_server, http_server):
    """Every server reports how long it took to become ready (see the -s output)."""
    for name, server in [("seaweed", s3_server), ("moto", moto_server), ("azurite", azure_server),
                         ("fake-gcs", gcs_server), ("nginx", http_server)]:
        assert server.startup_seconds is not None
        print(f"{name}: ready in {server.startup_seconds:.2f} s")
