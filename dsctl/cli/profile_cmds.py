"""`dsctl profile …`: collect input (flags, hidden prompts, stdin), call
dsctl.profiles.manage, print."""

from __future__ import annotations

import json
import os
import sys

import click

from .app import output_options, pass_app
from .complete import profile_names

_SECRET_ORDER_HELP = """Secrets are never taken as argument values. On a terminal they are asked
with a hidden prompt; otherwise they are read from stdin, one per line, in this order:
s3: access_key_id, secret_access_key[, session_token]; azure: account_key (with
--account-name), client_secret (with --tenant-id/--client-id), else connection_string;
gcs: the service-account JSON (all of stdin); http: password (with --username), else
bearer_token. --secret FIELD (repeatable) picks other fields, in the order given."""


def _kv(values: tuple[str, ...]) -> dict:
    out = {}
    for item in values:
        k, sep, v = item.partition("=")
        if not sep or not k:
            raise click.BadParameter(f"{item!r} is not key=value", param_hint="-o")
        out[k.strip().replace("-", "_")] = v
    return out


def _read_secrets(name, spec, fields, wanted: tuple[str, ...], from_env: bool) -> dict[str, str]:
    from ..profiles.schema import default_secret_fields, env_name

    needed = list(wanted) or list(default_secret_fields(spec, fields))
    optional = ["session_token"] if spec.name == "s3" and not wanted else []
    out: dict[str, str] = {}
    if from_env:
        sources = dict(spec.env_sources)
        for f in needed + optional:
            v = os.environ.get(env_name(name, f)) or (os.environ.get(sources[f]) if f in sources else None)
            if v:
                out[f] = v
            elif f in needed:
                hint = f" or {sources[f]}" if f in sources else ""
                raise click.UsageError(f"--from-env: {env_name(name, f)}{hint} is not set")
        return out
    if sys.stdin.isatty():
        for f in needed:
            out[f] = click.prompt(f.replace("_", " "), hide_input=True, err=True)
        for f in optional:
            v = click.prompt(f"{f.replace('_', ' ')} (empty for none)", hide_input=True, default="",
                             show_default=False, err=True)
            if v:
                out[f] = v
        return out
    data = sys.stdin.read()
    if needed == ["service_account_json"]:
        lines = [data.strip()]
    else:
        lines = [line.rstrip("\r") for line in data.splitlines()]
    for i, f in enumerate(needed):
        if i >= len(lines) or not lines[i]:
            raise click.UsageError(f"expected {len(needed)} secret line(s) on stdin "
                                   f"({', '.join(needed)}); line {i + 1} ({f}) is missing")
        out[f] = lines[i]
    for j, f in enumerate(optional, start=len(needed)):
        if j < len(lines) and lines[j]:
            out[f] = lines[j]
    return out


@click.group("profile")
def profile():
    """Manage named profiles (credentials live in the OS keyring)."""


@profile.command("add", epilog=_SECRET_ORDER_HELP)
@click.argument("name")
@click.option("--type", "type_", required=True, metavar="TYPE", help="s3, gcs, azure, http, file or an fsspec protocol.")
@click.option("--auth", type=click.Choice(["keyring", "env", "chain", "aws_profile", "command", "anonymous"]),
              help="How to authenticate (default: keyring).")
@click.option("--root", help="Store URL or bucket/prefix that ds://NAME/ points at.")
@click.option("--bucket", help="Same as --root s3://BUCKET (or gs://).")
@click.option("--container", help="Same as --root az://CONTAINER.")
@click.option("--endpoint-url", help="S3-compatible, GCS emulator or Azure blob endpoint.")
@click.option("--region")
@click.option("--path-style", is_flag=True, default=None, help="S3 path-style addressing.")
@click.option("--allow-http", is_flag=True, default=None, help="Allow a plain-http endpoint.")
@click.option("--provider", help="S3 preset: aws, minio, r2, tigris, wasabi, seaweedfs.")
@click.option("--account-id", help="Cloudflare account id (for --provider r2).")
@click.option("--role-arn", help="Assume this IAM role (STS).")
@click.option("--aws-profile", help="Profile from ~/.aws/config (with --auth aws_profile).")
@click.option("--account-name", help="Azure storage account.")
@click.option("--tenant-id")
@click.option("--client-id")
@click.option("--project", help="GCS project.")
@click.option("--service-account-file", help="Path to a GCS service-account JSON file.")
@click.option("--username", help="HTTP basic-auth user (password is a secret).")
@click.option("--header", "headers", multiple=True, metavar="'NAME: VALUE'", help="Extra HTTP header.")
@click.option("--command", "command_", metavar="CMD", help="Credential helper (with --auth command).")
@click.option("-o", "options", multiple=True, metavar="KEY=VALUE", help="Any other non-secret field.")
@click.option("--secret", "secret_fields", multiple=True, metavar="FIELD", help="Secret field to ask for.")
@click.option("--from-env", is_flag=True, help="Take secrets from DSCTL_PROFILE_<NAME>_<FIELD> or the standard variables.")
@click.option("--insecure-storage", is_flag=True, help="Keep secrets in a 0600 file instead of the keyring.")
@click.option("--default", "make_default", is_flag=True, help="Make it the default profile.")
@output_options
@pass_app
def add(app, name, type_, auth, root, bucket, container, endpoint_url, region, path_style, allow_http,
        provider, account_id, role_arn, aws_profile, account_name, tenant_id, client_id, project,
        service_account_file, username, headers, command_, options, secret_fields, from_env,
        insecure_storage, make_default):
    """Create or replace profile NAME."""
    from ..profiles import manage, secrets, store
    from ..profiles.schema import default_secret_fields, spec_for

    store.check_name(name)
    type_name = manage.validate_type(type_)
    spec = spec_for(type_name)
    if bucket or container:
        root = root or f"{spec.scheme}://{bucket or container}"
    fields = {"root": root, "endpoint_url": endpoint_url, "region": region, "path_style": path_style,
              "allow_http": allow_http, "provider": provider, "account_id": account_id,
              "role_arn": role_arn, "aws_profile": aws_profile, "account_name": account_name,
              "tenant_id": tenant_id, "client_id": client_id, "project": project,
              "service_account_file": service_account_file, "username": username,
              "headers": list(headers) or None, "command": command_, **_kv(options)}
    auth, fields = manage.normalize_fields(type_name, auth, fields)
    if auth != "keyring" and secret_fields:
        raise click.UsageError(f"--secret needs --auth keyring (this profile uses {auth})")
    manage.check_secret_names(type_name, secret_fields)
    store_kind = "keyring"
    values: dict[str, str] = {}
    # a GCS key file named by --service-account-file: no secret to ask for, no keyring needed
    if auth == "keyring" and (secret_fields or default_secret_fields(spec, fields)):
        store_kind = "file" if insecure_storage else secrets.require_usable(False)
        values = _read_secrets(name, spec, fields, secret_fields, from_env)
    manage.add(name, type_name, auth, fields, values, store_kind, make_default)
    if store_kind == "file" and values:
        click.echo(f"dsctl: warning: secrets of '{name}' are stored in plaintext in "
                   f"{secrets.secrets_file_path()} (mode 0600)", err=True)
    if not app.quiet:
        where = f", {len(values)} secret(s) in the {'keyring' if store_kind == 'keyring' else 'secrets file'}" \
            if values else ""
        click.echo(f"dsctl: profile '{name}' saved (type {type_name}, auth {auth}{where})", err=True)


@profile.command("list")
@output_options
@pass_app
def list_(app):
    """List profiles (the keyring is not unlocked)."""
    from ..profiles import manage

    rows = manage.list_rows()
    if app.json:
        for r in rows:
            click.echo(json.dumps(r.as_dict()))
        return
    table = [("NAME", "TYPE", "LOCATION", "AUTH", "SECRETS")]
    table += [(r.name + (" *" if r.default else ""), r.type, r.location, r.auth, r.secrets) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for row in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


@profile.command("show")
@click.argument("name", shell_complete=profile_names)
@output_options
@pass_app
def show(app, name):
    """Show every field of NAME and where it came from (secrets masked)."""
    from ..profiles import manage

    rows = manage.show(name)
    if app.json:
        click.echo(json.dumps({"name": name, "fields": {k: {"value": v, "source": s} for k, v, s in rows}}))
        return
    w = max(len(k) for k, _, _ in rows)
    for k, v, s in rows:
        click.echo(f"{k.ljust(w)}  {v}  ({s})")


@profile.command("remove")
@click.argument("name", shell_complete=profile_names)
@output_options
@pass_app
def remove(app, name):
    """Delete NAME and its keyring entries."""
    from ..profiles import manage

    manage.remove(name)
    if not app.quiet:
        click.echo(f"dsctl: profile '{name}' removed", err=True)


@profile.command("test")
@click.argument("name", shell_complete=profile_names)
@output_options
@pass_app
def test(app, name):
    """Connect with NAME, list its root, and say which credentials were used."""
    from ..profiles import manage

    source, entries = manage.test(name)
    if app.json:
        click.echo(json.dumps({"name": name, "ok": True, "credentials": source, "entries": entries}))
        return
    click.echo(f"ok: profile '{name}' listed its root with credentials from {source}")
    for e in entries:
        click.echo(f"  {e}")


@profile.command("default")
@click.argument("name", shell_complete=profile_names)
@output_options
@pass_app
def default(app, name):
    """Make NAME the default profile."""
    from ..profiles import manage

    manage.set_default(name)
    if not app.quiet:
        click.echo(f"dsctl: default profile is now '{name}'", err=True)


COMMANDS = [profile]
