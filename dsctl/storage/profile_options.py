"""A profile's fields (precedence already applied) -> a backend's fsspec options.

One builder per store type; each handles the auth modes of SPEC section 4.
Anonymous access happens only when the profile says `auth: anonymous`.
"""

from __future__ import annotations

import json
from typing import Any, Callable
from urllib.parse import urlparse

from ..errors import AccessDenied, UsageError
from . import options as env_builders


def _truthy(v: Any) -> bool:
    return str(v).strip().lower() in ("1", "true", "yes", "on") if not isinstance(v, bool) else v


def _has_secret(v: dict, type_name: str) -> bool:
    """Whether precedence (dsctl.profiles.effective) gave any secret field a value."""
    from ..profiles.schema import spec_for

    return any(v.get(k) for k in spec_for(type_name).secrets)


def _need(v: dict, name: str, *fields: str) -> None:
    missing = [f for f in fields if not v.get(f)]
    if missing:
        from ..profiles.schema import env_name

        raise AccessDenied(f"profile '{name}' has no {', '.join(missing)} "
                           f"(re-add it, or set {env_name(name, missing[0])})")


def s3(name: str, v: dict) -> dict:
    from ..profiles import refresh

    auth = v.get("auth", "keyring")
    opts = env_builders.s3_env() if auth == "env" else env_builders._s3_base()
    if v.get("endpoint_url"):
        if str(v["endpoint_url"]).startswith("http://") and not _truthy(v.get("allow_http", False)):
            # as obstore does: data and request metadata would cross the network unencrypted
            raise UsageError(f"profile '{name}' has a plain-http endpoint; add --allow-http to use it")
        opts["endpoint_url"] = v["endpoint_url"]
    if v.get("region"):
        opts.setdefault("client_kwargs", {})["region_name"] = v["region"]
    if _truthy(v.get("path_style", False)):
        opts["config_kwargs"]["s3"] = {"addressing_style": "path"}
    if auth in ("keyring", "command", "anonymous") and not v.get("endpoint_url"):
        # botocore would take AWS_ENDPOINT_URL (a LocalStack left in the shell) and send
        # this profile's stored credentials and data there; its endpoint is AWS's
        opts["config_kwargs"]["ignore_configured_endpoint_urls"] = True
    if auth == "keyring" or auth == "env" and _has_secret(v, "s3"):
        # auth env: dsctl.profiles.effective resolved DSCTL_PROFILE_<NAME>_* over AWS_*
        _need(v, name, "access_key_id", "secret_access_key")
        for k in ("key", "secret", "token", "profile"):
            opts.pop(k, None)
        opts.update(key=v["access_key_id"], secret=v["secret_access_key"])
        if v.get("session_token"):
            opts["token"] = v["session_token"]
    elif auth == "aws_profile":
        _need(v, name, "aws_profile")
        opts["profile"] = v["aws_profile"]
    elif auth == "anonymous":
        opts["anon"] = True
    elif auth == "command":
        _need(v, name, "command")
        opts["session"] = refresh.s3_session(refresh.s3_command_fetch(v["command"]))
    if v.get("role_arn") and auth != "anonymous":
        refresh.assume_role(opts, v["role_arn"], v.get("endpoint_url"), v.get("region"))
    return opts


def gcs(name: str, v: dict) -> dict:
    from ..profiles import refresh

    auth = v.get("auth", "keyring")
    opts = env_builders.gcs() if auth == "env" else {}
    if v.get("endpoint_url"):
        opts["endpoint_url"] = v["endpoint_url"]
    if v.get("project"):
        opts["project"] = v["project"]
    if auth == "keyring" or auth == "env" and _has_secret(v, "gcs"):
        if v.get("service_account_json"):
            try:
                info = json.loads(v["service_account_json"])
            except ValueError:
                raise UsageError(f"profile '{name}': service_account_json is not valid JSON") from None
            opts["token"] = env_builders.gcs_credentials(info, f"profile '{name}'")
        elif v.get("token"):
            opts["token"] = v["token"]  # a raw OAuth access token
        elif v.get("service_account_file"):
            path = v["service_account_file"]
            opts["token"] = env_builders.gcs_credentials(
                env_builders._read_json(path, f"profile '{name}': service_account_file"), f"profile '{name}'")
        else:
            _need(v, name, "service_account_json")
    elif auth == "chain":
        opts["token"] = v.get("service_account_file") or "google_default"
    elif auth == "anonymous":
        opts["token"] = "anon"
    elif auth == "command":
        _need(v, name, "command")
        opts["token"] = refresh.gcs_credentials(v["command"])
    return opts


def _conn_string(endpoint: str, account: str | None, key: str | None, sas: str | None) -> str:
    parts = [f"DefaultEndpointsProtocol={urlparse(endpoint).scheme or 'https'}"]
    if account:
        parts.append(f"AccountName={account}")
    if key:
        parts.append(f"AccountKey={key}")
    parts.append(f"BlobEndpoint={endpoint}")
    if sas:
        parts.append(f"SharedAccessSignature={sas.lstrip('?')}")
    return ";".join(parts) + ";"


def azure(name: str, v: dict) -> dict:
    from ..profiles import refresh

    auth = v.get("auth", "keyring")
    if auth == "env" and _has_secret(v, "azure"):
        # credentials resolved by dsctl.profiles.effective (DSCTL_PROFILE_<NAME>_* over AZURE_*);
        # the standard variables still name the account and the service principal
        std = {"account_name": "AZURE_STORAGE_ACCOUNT_NAME", "tenant_id": "AZURE_TENANT_ID",
               "client_id": "AZURE_CLIENT_ID"}
        v = {**{k: env_builders._env(var) for k, var in std.items()}, **{k: x for k, x in v.items() if x}}
        auth = "keyring"
    if auth == "env":
        opts = env_builders.azure()
        if v.get("account_name") and "connection_string" not in opts:
            opts["account_name"] = v["account_name"]
        return opts
    account, endpoint = v.get("account_name"), v.get("endpoint_url")
    if auth == "keyring":
        if v.get("connection_string"):
            return {"connection_string": v["connection_string"]}
        if v.get("client_secret"):
            _need(v, name, "account_name", "tenant_id", "client_id")
            return {"account_name": account, "tenant_id": v["tenant_id"], "client_id": v["client_id"],
                    "client_secret": v["client_secret"]}
        key, sas = v.get("account_key"), v.get("sas_token")
        if not (key or sas):
            _need(v, name, "account_key")
        if endpoint:
            return {"connection_string": _conn_string(endpoint, account, key, sas)}
        _need(v, name, "account_name")
        return {"account_name": account, **({"account_key": key} if key else {"sas_token": sas})}
    _need(v, name, "account_name")
    if auth == "chain":
        return {"account_name": account, "anon": False}
    if auth == "anonymous":
        return {"account_name": account, "anon": True}
    if auth == "command":
        _need(v, name, "command")
        return {"account_name": account, "credential": refresh.AzureCommandCredential(v["command"])}
    return {"account_name": account}


def _headers(raw: Any) -> dict:
    if not raw:
        return {}
    if isinstance(raw, dict):
        return {str(k): str(val) for k, val in raw.items()}
    items = raw if isinstance(raw, list) else str(raw).split("\n")
    out = {}
    for item in items:
        k, sep, val = str(item).partition(":")
        if not sep:
            raise UsageError(f"header {item!r} is not 'Name: value'")
        out[k.strip()] = val.strip()
    return out


def http(name: str, v: dict) -> dict:
    opts = env_builders.http()
    headers = _headers(v.get("headers"))
    if v.get("bearer_token"):
        headers["Authorization"] = f"Bearer {v['bearer_token']}"
    if v.get("username"):
        import base64

        pair = f"{v['username']}:{v.get('password') or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    if headers:
        opts["headers"] = headers
    return opts


_NOT_OPTIONS = {"root", "auth", "command", "type", "provider"}


def passthrough(name: str, v: dict) -> dict:
    return {k: val for k, val in v.items() if k not in _NOT_OPTIONS}


def local(name: str, v: dict) -> dict:
    return {}


BUILDERS: dict[str, Callable[[str, dict], dict]] = {
    "s3": s3, "gcs": gcs, "azure": azure, "http": http, "passthrough": passthrough,
    "local": local, "memory": local}


def build(builder: str, name: str, v: dict) -> dict:
    return BUILDERS[builder](name, v)
