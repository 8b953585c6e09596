"""Which profile applies to a URL, and its fields after precedence — written once.

Precedence (SPEC section 4), highest first:
  1. command-line flags (the `flags` argument)
  2. DSCTL_PROFILE_<NAME>_<FIELD> environment variables
  3. profiles.yaml + the keyring (or the chosen secrets file)
  4. provider presets (--provider r2, ...) fill what is still missing
  5. auth `env` only: the backend's standard variables (AWS_ACCESS_KEY_ID, ...,
     schema.TypeSpec.env_sources) give the credentials, as one set, when no layer
     above gave any secret field: a key id is never paired with another identity's
     secret or session token.
The storage option builders use these values; they read the standard variables
themselves only for what is not a profile field (AWS_PROFILE, the default chain).
The backends' standard variables are never consulted over a named profile's
stored secrets, and for auth `chain` only by the provider's own chain.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from .. import config, redact
from ..errors import UsageError
from . import secrets, store
from .schema import AUTH_MODES, S3_PROVIDERS, TYPES, env_name


class Value(NamedTuple):
    value: Any
    source: str   # "flag", "env DSCTL_PROFILE_…", "profiles.yaml", "keyring", "secrets file", "preset"


def resolve_fields(profile: store.Profile, flags: dict | None = None, *,
                   with_secrets: bool = True) -> dict[str, Value]:
    """Every field of `profile` with the source it came from, precedence applied."""
    out: dict[str, Value] = {"auth": Value(profile.auth, "profiles.yaml")}
    for k, v in profile.fields.items():
        out[k] = Value(v, "profiles.yaml")
    if with_secrets:
        where = "secrets file" if profile.secret_store == "file" else "keyring"
        for k in profile.secrets:
            if os.environ.get(env_name(profile.name, k)):
                continue   # overridden below: not read, so no keyring is needed for it (cron, CI)
            v = secrets.get(profile.name, k, profile.secret_store)
            if v is not None:
                out[k] = Value(v, where)
    prefix = env_name(profile.name, "")
    spec = profile.spec
    # a built-in type takes only its own fields: DSCTL_PROFILE_PROD_EU_SECRET_ACCESS_KEY is
    # profile prod-eu's secret, not a field "eu_secret_access_key" of prod (shown unmasked)
    known = set(spec.fields + spec.secrets) if spec.name in TYPES else None
    for var, v in os.environ.items():
        if var.startswith(prefix) and len(var) > len(prefix) and v != "":
            field = var[len(prefix):].lower()
            if known is not None and field not in known:
                continue
            if field in profile.spec.secrets:
                redact.register(v)
            out[field] = Value(v, f"env {var}")
    for k, v in (flags or {}).items():
        if v is not None:
            out[k] = Value(v, "flag")
    _apply_preset(out)
    if out["auth"].value not in AUTH_MODES:   # a typo in DSCTL_PROFILE_<NAME>_AUTH
        raise UsageError(f"unknown auth mode {out['auth'].value!r} ({out['auth'].source}): "
                         f"one of {', '.join(AUTH_MODES)}")
    if out["auth"].value == "env":
        _apply_standard_env(profile, out)
    return out


def _apply_standard_env(profile: store.Profile, out: dict[str, Value]) -> None:
    """auth `env`: the backend's standard credential variables, the lowest layer."""
    if any(k in out for k in profile.spec.secrets):
        return  # credentials from a higher layer: not mixed with the environment's
    for field, var in profile.spec.env_sources:
        v = os.environ.get(var)
        if v:
            redact.register(v)
            out[field] = Value(v, f"env {var}")


def _apply_preset(out: dict[str, Value]) -> None:
    provider = out.get("provider")
    if not provider:
        return
    preset = S3_PROVIDERS.get(str(provider.value).lower())
    if preset is None:
        raise UsageError(f"unknown provider {provider.value!r}; known: {', '.join(sorted(S3_PROVIDERS))}")
    plain = {k: v.value for k, v in out.items()}
    for k, v in preset.items():
        if k not in out:
            if isinstance(v, str):
                try:
                    v = v.format(**plain, region=plain.get("region", preset.get("region", "")))
                except KeyError as missing:
                    raise UsageError(f"provider {provider.value} needs --{str(missing).strip(chr(39)).replace('_', '-')}") from None
            out[k] = Value(v, f"preset {provider.value}")


def values(profile: store.Profile, flags: dict | None = None) -> dict[str, Any]:
    return {k: v.value for k, v in resolve_fields(profile, flags).items()}


def active_profile_name() -> str | None:
    """--profile > DSCTL_PROFILE > config.yaml default_profile."""
    s = config.current()
    return s.profile or os.environ.get("DSCTL_PROFILE") or store.default_name()


def profile_for_bare_url(scheme: str) -> store.Profile | None:
    """The active profile if it serves this scheme; else None (standard env applies)."""
    name = active_profile_name()
    if not name:
        return None
    if not config.current().profile and not os.environ.get("DSCTL_PROFILE"):
        # only the configured default: skip quietly if the file has no such profile
        profiles = store.load_all()
        p = profiles.get(name)
    else:
        p = store.get(name)
    if p is None or p.spec.scheme != scheme:
        return None
    return p


def ds_target(name: str, rest: str) -> tuple[store.Profile, str, str]:
    """For ds://name/rest: the profile, the real URL, and the real root URL."""
    p = store.get(name)
    if ".." in rest.split("/"):
        raise UsageError("'..' would leave the profile's root", f"ds://{name}/{rest}")
    # DSCTL_PROFILE_<NAME>_ROOT over the file, as for every field (profile show says so)
    root = str(resolve_fields(p, with_secrets=False).get("root", Value(None, "")).value or "")
    scheme = p.spec.scheme
    if not root:
        if scheme == "local":
            raise UsageError(f"profile '{name}' has no root")
        root = f"{'file' if scheme == 'local' else scheme}://"
    elif "://" not in root and scheme != "local":
        root = f"{scheme}://{root.lstrip('/')}"
    base = root.rstrip("/") if not root.endswith("://") else root
    if not rest:
        return p, base, base
    sep = "" if base.endswith("://") else "/"
    return p, base + sep + rest.lstrip("/"), base
