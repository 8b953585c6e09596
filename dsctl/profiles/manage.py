"""What `dsctl profile add/list/show/remove/test/default` do (the CLI only
collects input and prints)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import config
from ..errors import UsageError
from . import secrets, store
from .effective import resolve_fields
from .schema import AUTH_MODES, SECRETISH, TYPES, default_secret_fields, env_name, is_secret, spec_for


@dataclass(frozen=True)
class Row:
    name: str
    default: bool
    type: str
    location: str
    auth: str
    secrets: str   # stored / missing / env / n-a

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def validate_type(type_name: str) -> str:
    spec = spec_for(type_name)
    if spec.name in TYPES:
        return spec.name
    from fsspec.registry import known_implementations, registry

    if spec.name not in known_implementations and spec.name not in registry:
        raise UsageError(f"unknown profile type {type_name!r}: use s3, gcs, azure, http, file "
                         f"or an fsspec protocol")
    return spec.name


def check_secret_names(type_name: str, names: tuple[str, ...]) -> None:
    """`--secret FIELD` must name a secret field of the type: a misspelt name was kept
    as an ordinary field, printed unmasked by `profile show`, and `FIELD=VALUE` stored
    the value in profiles.yaml. The error never repeats what was given (it may be the
    secret itself)."""
    spec = spec_for(type_name)
    for n in names:
        if "=" in n or not n.isidentifier():
            raise UsageError("--secret takes a field name; its value is read from stdin or "
                             "a prompt, never from the command line")
        if not is_secret(spec, n):
            allowed = ", ".join(spec.secrets) if spec.secrets else \
                f"a name containing one of: {', '.join(SECRETISH)}"
            raise UsageError(f"--secret names a secret field of a {spec.name} profile: {allowed}")


def normalize_fields(type_name: str, auth: str | None, fields: dict) -> tuple[str, dict]:
    """Check field names and auth; return (auth, fields) ready to store. No secrets here."""
    spec = spec_for(type_name)
    auth = auth or spec.default_auth
    if auth not in AUTH_MODES:
        raise UsageError(f"unknown auth mode {auth!r}: one of {', '.join(AUTH_MODES)}")
    if auth == "aws_profile" and spec.name != "s3":
        raise UsageError("--auth aws_profile is for s3 profiles")
    out = {}
    for k, v in fields.items():
        if v is None or v == "":
            continue
        if is_secret(spec, k):
            raise UsageError(f"'{k}' is a secret: it is prompted for or read from stdin, "
                             f"never taken as an argument value")
        if spec.name in TYPES and k not in spec.fields:
            raise UsageError(f"unknown field '{k}' for a {spec.name} profile "
                             f"(known: {', '.join(sorted(spec.fields))})")
        out[k] = v
    if auth == "aws_profile" and not out.get("aws_profile"):
        raise UsageError("--auth aws_profile needs --aws-profile NAME")
    if auth == "command" and not out.get("command"):
        raise UsageError("--auth command needs --command 'helper args'")
    root = out.get("root")
    if root and "://" not in str(root) and spec.scheme != "local":
        out["root"] = f"{spec.scheme}://{str(root).lstrip('/')}"
    return auth, out


def add(name: str, type_name: str, auth: str, fields: dict, secret_values: dict[str, str],
        secret_store: str, make_default: bool) -> store.Profile:
    store.check_name(name)
    profile = store.Profile(name, type_name, auth, fields, sorted(secret_values), secret_store)
    with config.changing():
        old = store.load_all().get(name)
        if old is not None:  # drop secrets the new definition no longer has - first, as remove()
            stale = [k for k in old.secrets if k not in secret_values or old.secret_store != secret_store]
            if stale:
                secrets.delete(name, stale, old.secret_store)
        if secret_values:
            secrets.put(name, secret_values, secret_store)
        store.save(profile)
        if make_default:
            store.set_default(name)
    return profile


def _location(p: store.Profile) -> str:
    return str(p.fields.get("root") or p.fields.get("endpoint_url") or p.fields.get("account_name") or "-")


def _secret_status(p: store.Profile) -> str:
    if p.auth in ("env", "chain"):
        return "env"
    if p.auth != "keyring" or not p.spec.secrets and p.spec.name in TYPES:
        return "n-a"
    if p.secrets:
        return "stored" if p.secret_store == "keyring" else "stored (file)"
    if any(os.environ.get(env_name(p.name, f)) for f in p.spec.secrets):
        return "env"
    if p.spec.name in TYPES and not default_secret_fields(p.spec, p.fields):
        return "n-a"   # none needed: a GCS profile with a service_account_file
    return "missing"


def list_rows() -> list[Row]:
    """Every profile, without touching the keyring."""
    default = store.default_name()
    return [Row(n, n == default, p.type, _location(p), p.auth, _secret_status(p))
            for n, p in sorted(store.load_all().items())]


def mask(value) -> str:
    s = str(value)
    return "****" + s[-4:] if len(s) > 8 else "****"


def show(name: str) -> list[tuple[str, str, str]]:
    """(field, display value, source) for every field; secrets masked."""
    p = store.get(name)
    rows = []
    for k, v in sorted(resolve_fields(p).items()):
        shown = mask(v.value) if is_secret(p.spec, k) else str(v.value)
        rows.append((k, shown, v.source))
    rows.insert(0, ("type", p.type, "profiles.yaml"))
    if store.default_name() == name:
        rows.insert(1, ("default", "yes", "config.yaml"))
    return rows


def remove(name: str) -> None:
    # the secrets first: a keyring that cannot be reached here leaves the profile as it
    # was (exit 4), not gone with its secrets orphaned in the keyring
    with config.changing():
        p = store.get(name)
        if p.secrets:
            secrets.delete(name, p.secrets, p.secret_store)
        store.delete(name)


def set_default(name: str) -> None:
    with config.changing():
        store.get(name)
        store.set_default(name)


def credential_source(name: str) -> str:
    """Where `profile test` says the credentials came from."""
    p = store.get(name)
    fields = resolve_fields(p)
    auth = fields["auth"].value
    srcs = sorted({v.source for k, v in fields.items() if is_secret(p.spec, k)})
    if auth == "keyring":
        return ", ".join(srcs) or "none stored"
    if auth == "env" and srcs:
        return ", ".join(srcs)
    return {"env": "standard environment variables", "chain": "the provider's default chain",
            "aws_profile": f"AWS profile '{fields.get('aws_profile').value if fields.get('aws_profile') else '?'}'",
            "command": "credential command", "anonymous": "anonymous (no credentials)"}.get(auth, auth)


def test(name: str, limit: int = 5) -> tuple[str, list[str]]:
    """Connect, list the profile's root; returns (credential source, first entries)."""
    from ..ops.browse import list_entries

    source = credential_source(name)
    entries = []
    for e in list_entries(f"ds://{name}/"):
        entries.append(e.name)
        if len(entries) >= limit:
            break
    return source, entries
