"""Profile types, their fields and auth modes, as data.

Field names are snake_case and stable: they appear in profiles.yaml, in
`-o key=value`, in DSCTL_PROFILE_<NAME>_<FIELD> and as keyring usernames.
"""

from __future__ import annotations

from typing import NamedTuple

AUTH_MODES = ("keyring", "env", "chain", "aws_profile", "command", "anonymous")


class TypeSpec(NamedTuple):
    name: str
    scheme: str                      # the URL scheme a profile of this type serves
    fields: tuple[str, ...]          # non-secret fields
    secrets: tuple[str, ...]         # secret fields (keyring)
    default_auth: str = "keyring"
    # standard variables each secret can be taken from with --from-env
    env_sources: tuple[tuple[str, str], ...] = ()


COMMON = ("root", "auth", "command")

TYPES: dict[str, TypeSpec] = {
    "s3": TypeSpec("s3", "s3",
                   ("endpoint_url", "region", "path_style", "role_arn", "aws_profile", "allow_http",
                    "provider", "account_id") + COMMON,
                   ("access_key_id", "secret_access_key", "session_token"),
                   env_sources=(("access_key_id", "AWS_ACCESS_KEY_ID"),
                                ("secret_access_key", "AWS_SECRET_ACCESS_KEY"),
                                ("session_token", "AWS_SESSION_TOKEN"))),
    "gcs": TypeSpec("gcs", "gs", ("service_account_file", "project", "endpoint_url") + COMMON,
                    ("service_account_json", "token"),
                    env_sources=(("service_account_json", "GCP_CREDENTIALS"),)),
    "azure": TypeSpec("azure", "az", ("account_name", "tenant_id", "client_id", "endpoint_url") + COMMON,
                      ("account_key", "sas_token", "connection_string", "client_secret"),
                      env_sources=(("connection_string", "AZURE_STORAGE_CONNECTION_STRING"),
                                   ("account_key", "AZURE_STORAGE_ACCOUNT_KEY"),
                                   ("sas_token", "AZURE_STORAGE_SAS_TOKEN"),
                                   ("client_secret", "AZURE_CLIENT_SECRET"))),
    "http": TypeSpec("http", "http", ("username", "headers") + COMMON, ("bearer_token", "password")),
    "file": TypeSpec("file", "local", COMMON, (), default_auth="anonymous"),
}
ALIASES = {"gs": "gcs", "az": "azure", "abfs": "azure", "https": "http", "local": "file"}

# S3-compatible presets: what --provider fills in when the user did not.
S3_PROVIDERS = {
    "aws": {},
    "minio": {"path_style": True},
    "r2": {"endpoint_url": "https://{account_id}.r2.cloudflarestorage.com", "region": "auto"},
    "tigris": {"endpoint_url": "https://fly.storage.tigris.dev", "region": "auto"},
    "wasabi": {"endpoint_url": "https://s3.{region}.wasabisys.com", "region": "us-east-1"},
    "seaweedfs": {"path_style": True},
}

SECRETISH = ("password", "secret", "token", "key", "credential")


def spec_for(type_name: str) -> TypeSpec:
    """The TypeSpec for a type; any other fsspec protocol gets a generic one."""
    t = ALIASES.get(type_name, type_name)
    if t in TYPES:
        return TYPES[t]
    return TypeSpec(t, t, COMMON, (), default_auth="keyring")


def is_secret(spec: TypeSpec, field: str) -> bool:
    if field in spec.secrets:
        return True
    # pass-through protocols (sftp password, webdav token, ...): judge by name
    return spec.name not in TYPES and any(w in field for w in SECRETISH)


def default_secret_fields(spec: TypeSpec, fields: dict) -> tuple[str, ...]:
    """Which secrets `profile add` asks for, in this order, given the other fields."""
    if spec.name == "s3":
        return ("access_key_id", "secret_access_key")
    if spec.name == "gcs":   # a key file named by --service-account-file is no secret to ask for
        return () if fields.get("service_account_file") else ("service_account_json",)
    if spec.name == "azure":
        if fields.get("tenant_id") and fields.get("client_id"):
            return ("client_secret",)
        if fields.get("account_name"):
            return ("account_key",)
        return ("connection_string",)
    if spec.name == "http":
        return ("password",) if fields.get("username") else ("bearer_token",)
    return ()


def env_name(profile: str, field: str) -> str:
    """DSCTL_PROFILE_<NAME>_<FIELD>, upper-cased, '-' and '.' as '_'."""
    norm = "".join(c if c.isalnum() else "_" for c in profile).upper()
    return f"DSCTL_PROFILE_{norm}_{field.upper()}"
