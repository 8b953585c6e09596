"""Build the keyword options for a backend's filesystem: the one place where a
URL's store options and credentials are decided.

`build(builder, profile)`: with no profile, each backend's standard
environment variables and default chain (the *_env builders); with a profile,
its fields after precedence (dsctl.profiles.effective) turned into the
backend's options by the *_profile builders. Auth modes `env`/`chain` read the
standard variables / default chain but keep the profile's location fields.
"""

from __future__ import annotations

import os

from .. import redact
from ..errors import AccessDenied, UsageError


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
    opts: dict = {"client_kwargs": {"trust_env": True}}
    cafile = _env("SSL_CERT_FILE")
    if cafile:
        # aiohttp builds its default SSL context once, at import; read the CA file
        # here so a private CA named in SSL_CERT_FILE is always honoured.
        import ssl

        opts["ssl"] = ssl.create_default_context(cafile=cafile)
    return opts


def s3() -> dict:
    return s3_env()


def _s3_base() -> dict:
    return {"config_kwargs": {"retries": {"total_max_attempts": 4, "mode": "standard"},
                              "connect_timeout": 10, "read_timeout": 60}}


def s3_env() -> dict:
    opts = _s3_base()
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
    role = _env("AWS_ROLE_ARN")
    if role and not _env("AWS_WEB_IDENTITY_TOKEN_FILE"):   # with a token file: botocore's own
        # SPEC section 4 lists AWS_ROLE_ARN: assume it with the credentials above (or the
        # default chain), refreshed before they expire, as a profile's role_arn is
        from ..profiles import refresh

        refresh.assume_role(opts, role, endpoint, region)
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
            import json   # only for inline GCS credentials

            opts["token"] = gcs_credentials(json.loads(creds_json), "GCP_CREDENTIALS")
        except ValueError:
            raise UsageError("GCP_CREDENTIALS is not valid JSON") from None
    elif creds_file:
        opts["token"] = gcs_credentials(_read_json(creds_file, "GOOGLE_APPLICATION_CREDENTIALS"),
                                        "GOOGLE_APPLICATION_CREDENTIALS")
    else:
        # Never fall back to anonymous silently: google_default fails loudly.
        opts["token"] = "google_default"
    project = _env("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")
    if project:
        opts["project"] = project
    return opts


def _read_json(path: str, what: str) -> dict:
    """The JSON credentials file `path` names. gcsfs took a path it could not open for
    an access token and sent it to Google (exit 5, "transient failure")."""
    import json

    try:
        with open(path, encoding="utf-8") as f:
            data = f.read()
    except OSError as e:
        raise AccessDenied(f"{what} names a file that cannot be read: {e.strerror}", path) from None
    try:
        return json.loads(data)
    except ValueError:
        raise AccessDenied(f"{what} is not a JSON credentials file", path) from None


def gcs_credentials(info, what: str):
    """Service-account (or other google-auth) JSON checked before gcsfs sees it: gcsfs
    tries each kind in turn and reports a damaged one as KeyError 'refresh_token'."""
    kinds = ("service_account", "authorized_user", "external_account", "impersonated_service_account")
    kind = info.get("type") if isinstance(info, dict) else None
    if kind not in kinds:
        raise AccessDenied(f"{what}: not a Google credentials JSON (its \"type\" is not one of "
                           f"{', '.join(kinds)})")
    if kind == "authorized_user":   # gcloud's user credentials: gcsfs said 'refresh_token'
        missing = [k for k in ("client_id", "client_secret", "refresh_token") if not info.get(k)]
        if missing:
            raise AccessDenied(f"{what}: invalid authorized-user JSON: missing {', '.join(missing)}")
    if kind == "service_account":
        from google.oauth2 import service_account   # gcsfs imports it anyway

        try:
            service_account.Credentials.from_service_account_info(info)
        except (ValueError, KeyError, TypeError) as e:
            # google-auth names what is missing or unreadable, never the key's bytes
            raise AccessDenied(f"{what}: invalid service-account JSON: {str(e)[:160]}") from None
    return info


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
    if not opts:
        # adlfs's own words were "unable to connect to account for Must provide either a
        # connection_string or account_name with credentials!!", exit 1
        raise AccessDenied("no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING, or "
                           "AZURE_STORAGE_ACCOUNT_NAME with a key, SAS token or service principal, "
                           "or use a profile (dsctl profile add --type azure)")
    return opts


BUILDERS = {"local": local, "memory": memory, "passthrough": passthrough, "http": http,
            "s3": s3, "gcs": gcs, "azure": azure}


def build(builder: str, profile=None) -> dict:
    """Options for a backend (by its registry builder name), from a profile if one applies."""
    if profile is None:
        return BUILDERS[builder]()
    from ..profiles.effective import values
    from . import profile_options

    return profile_options.build(builder, profile.name, values(profile))
