"""Build the keyword options for a backend's filesystem from the environment.

This is the one place where a URL's store options are decided. The profiles
work plugs in here (a named profile's fields take precedence over the standard
variables read below); nothing else in dsctl reads credentials.
"""

from __future__ import annotations

import json
import os

from .. import redact
from ..errors import UsageError


def _env(*names: str) -> str | None:
    for n in names:
        v = os.environ.get(n)
        if v:
            return v
    return None


def local() -> dict:
    return {}


def memory() -> dict:
    return {}


def passthrough() -> dict:
    return {}


def http() -> dict:
    # aiohttp honours SSL_CERT_FILE through the default SSL context.
    return {"client_kwargs": {"trust_env": True}}


def s3() -> dict:
    opts: dict = {"config_kwargs": {"retries": {"total_max_attempts": 4, "mode": "standard"},
                                     "connect_timeout": 10, "read_timeout": 60}}
    key, secret = _env("AWS_ACCESS_KEY_ID"), _env("AWS_SECRET_ACCESS_KEY")
    token = _env("AWS_SESSION_TOKEN")
    redact.register(secret, token)
    if key and secret:
        opts.update(key=key, secret=secret)
        if token:
            opts["token"] = token
    elif _env("AWS_PROFILE"):
        opts["profile"] = _env("AWS_PROFILE")
    endpoint = _env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "S3_ENDPOINT_URL")
    if endpoint:
        opts["endpoint_url"] = endpoint
    region = _env("AWS_DEFAULT_REGION", "AWS_REGION")
    if region:
        opts.setdefault("client_kwargs", {})["region_name"] = region
    return opts


def gcs() -> dict:
    opts: dict = {}
    emulator = _env("STORAGE_EMULATOR_HOST")
    creds_json = _env("GCP_CREDENTIALS")
    creds_file = _env("GOOGLE_APPLICATION_CREDENTIALS")
    if emulator:
        if not emulator.startswith(("http://", "https://")):
            emulator = "http://" + emulator
        # Emulators take no credentials; this is explicit, not a silent fallback.
        opts.update(endpoint_url=emulator, token="anon")
    elif creds_json:
        redact.register(creds_json)
        try:
            opts["token"] = json.loads(creds_json)
        except ValueError:
            raise UsageError("GCP_CREDENTIALS is not valid JSON") from None
    elif creds_file:
        opts["token"] = creds_file
    else:
        # Never fall back to anonymous silently: google_default fails loudly.
        opts["token"] = "google_default"
    project = _env("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")
    if project:
        opts["project"] = project
    return opts


def azure() -> dict:
    conn = _env("AZURE_STORAGE_CONNECTION_STRING")
    name, key = _env("AZURE_STORAGE_ACCOUNT_NAME"), _env("AZURE_STORAGE_ACCOUNT_KEY")
    sas = _env("AZURE_STORAGE_SAS_TOKEN")
    tenant, client, csecret = _env("AZURE_TENANT_ID"), _env("AZURE_CLIENT_ID"), _env("AZURE_CLIENT_SECRET")
    redact.register(conn, key, sas, csecret)
    if conn:
        return {"connection_string": conn}
    opts: dict = {}
    if name:
        opts["account_name"] = name
    if key:
        opts["account_key"] = key
    elif sas:
        opts["sas_token"] = sas
    elif tenant and client and csecret:
        opts.update(tenant_id=tenant, client_id=client, client_secret=csecret)
    elif name:
        opts["anon"] = False  # use DefaultAzureCredential rather than anonymous
    return opts


BUILDERS = {"local": local, "memory": memory, "passthrough": passthrough, "http": http,
            "s3": s3, "gcs": gcs, "azure": azure}


def build(builder: str) -> dict:
    """Options for a backend, by the builder name its registry entry gives."""
    return BUILDERS[builder]()
