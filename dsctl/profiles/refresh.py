"""Short-lived credentials that renew themselves during a long transfer.

`command` auth runs a helper (split like a shell would, not run by a shell)
that prints JSON on stdout:
  S3:     {"AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}
          (the AWS credential_process format)
  others: {"token", "expiry" | "expires_at" | "Expiration"}
and runs it again shortly before the credentials expire. `role_arn` on an S3
profile assumes that role with STS and renews the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import subprocess
import time

from .. import redact
from ..errors import AccessDenied, UsageError


def _parse_time(v) -> dt.datetime | None:
    if v in (None, ""):
        return None
    if isinstance(v, (int, float)):
        return dt.datetime.fromtimestamp(v, tz=dt.timezone.utc)
    if isinstance(v, dt.datetime):
        return v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)
    try:
        return dt.datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except ValueError:
        raise AccessDenied("credential command printed an expiry time that is not ISO 8601") from None


def run_helper(command: str) -> dict:
    """Run a credential helper and return its JSON; secrets are registered for scrubbing."""
    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise UsageError(f"credential command is not valid: {e}") from None
    if not argv:
        raise UsageError("profile auth 'command' needs a command")
    try:
        p = subprocess.run(argv, capture_output=True, timeout=120, text=True)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise AccessDenied(f"credential command failed: {type(e).__name__}") from None
    if p.returncode != 0:
        raise AccessDenied(f"credential command exited {p.returncode}")
    try:
        data = json.loads(p.stdout)
    except ValueError:
        raise AccessDenied("credential command did not print JSON") from None
    if not isinstance(data, dict):
        raise AccessDenied("credential command did not print a JSON object") from None
    for k in ("AccessKeyId", "SecretAccessKey", "SessionToken", "token", "access_token"):
        if data.get(k) is not None and not isinstance(data[k], str):
            raise AccessDenied(f"credential command printed a {k} that is not a string")
    for k in ("SecretAccessKey", "SessionToken", "token", "access_token"):
        redact.register(data.get(k))
    return data


def _timeouts(expiry: dt.datetime | None) -> dict:
    """Refresh early enough for short-lived credentials too (botocore's defaults are 15/10 min)."""
    if expiry is None:
        return {}
    life = max(1.0, (expiry - dt.datetime.now(dt.timezone.utc)).total_seconds())
    return {"advisory_timeout": min(900, life * 0.25), "mandatory_timeout": min(600, life * 0.1)}


def _s3_metadata(data: dict) -> dict:
    if "AccessKeyId" not in data or "SecretAccessKey" not in data:
        raise AccessDenied("credential command output lacks AccessKeyId/SecretAccessKey")
    expiry = _parse_time(data.get("Expiration")) or (
        dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    return {"access_key": data["AccessKeyId"], "secret_key": data["SecretAccessKey"],
            "token": data.get("SessionToken"), "expiry_time": expiry.isoformat()}


def s3_session(fetch):
    """An aiobotocore session whose credentials come from fetch() and renew before expiry."""
    from aiobotocore.credentials import AioRefreshableCredentials
    from aiobotocore.session import AioSession

    first = fetch()
    creds = AioRefreshableCredentials.create_from_metadata(
        metadata=first, refresh_using=fetch, method="dsctl",
        **_timeouts(_parse_time(first["expiry_time"])))
    session = AioSession()
    session._credentials = creds  # aiobotocore's get_credentials() returns these as they are
    return session


def s3_command_fetch(command: str):
    return lambda: _s3_metadata(run_helper(command))


def assume_role(opts: dict, role_arn: str, endpoint_url: str | None, region: str | None) -> None:
    """Make s3fs options `opts` act as `role_arn`: their keys (or, without keys, the
    default chain) call STS AssumeRole, and a session with the temporary keys, renewed
    before they expire, replaces them. A profile's role_arn and AWS_ROLE_ARN alike."""
    base = {k: opts.pop(k, None) for k in ("key", "secret", "token")}
    opts.pop("session", None)   # a session or AWS profile named no longer applies
    opts.pop("profile", None)
    opts["session"] = s3_session(s3_assume_role_fetch(role_arn, base, endpoint_url, region))


def s3_assume_role_fetch(role_arn: str, base: dict, endpoint_url: str | None, region: str | None):
    """fetch() that calls STS AssumeRole with the base credentials (keys, or the default chain)."""
    import getpass

    def fetch() -> dict:
        import botocore.session

        client = botocore.session.get_session().create_client(
            "sts", endpoint_url=endpoint_url, region_name=region or "us-east-1",
            aws_access_key_id=base.get("key"), aws_secret_access_key=base.get("secret"),
            aws_session_token=base.get("token"))
        name = f"dsctl-{getpass.getuser()}"[:64]
        c = client.assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
        redact.register(c["SecretAccessKey"], c["SessionToken"])
        return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"],
                "token": c["SessionToken"], "expiry_time": _parse_time(c["Expiration"]).isoformat()}

    return fetch


def token_and_expiry(data: dict) -> tuple[str, dt.datetime | None]:
    token = data.get("token") or data.get("access_token")
    if not token:
        raise AccessDenied("credential command output lacks 'token'")
    exp = data.get("expiry") or data.get("expires_at") or data.get("Expiration")
    return token, _parse_time(exp)


def gcs_credentials(command: str):
    """google.oauth2 Credentials that re-run the helper when they expire."""
    from google.oauth2.credentials import Credentials

    def handler(request, scopes):
        token, expiry = token_and_expiry(run_helper(command))
        # google-auth compares against naive UTC datetimes
        return token, (expiry.astimezone(dt.timezone.utc).replace(tzinfo=None) if expiry else None)

    token, expiry = handler(None, None)
    return Credentials(token, expiry=expiry, refresh_handler=handler)


class AzureCommandCredential:
    """An async azure-core TokenCredential backed by the helper."""

    def __init__(self, command: str):
        self.command = command

    async def get_token(self, *scopes, **kwargs):
        import asyncio

        from azure.core.credentials import AccessToken

        token, expiry = token_and_expiry(await asyncio.to_thread(run_helper, self.command))
        return AccessToken(token, int(expiry.timestamp()) if expiry else int(time.time()) + 300)

    async def close(self):
        pass

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        pass
