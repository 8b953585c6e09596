"""profiles.yaml: every profile's non-secret fields and the names of its secrets.

    version: 1
    profiles:
      prod:
        type: s3
        auth: keyring
        root: s3://bucket/prefix
        endpoint_url: https://...
        secrets: [access_key_id, secret_access_key]   # names only, values in the keyring
        secret_store: keyring                         # or "file" (--insecure-storage)

The default profile lives in config.yaml (`default_profile`). Writes are
atomic, the directory 0700 and the files 0600 (dsctl.config.save_yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import config
from ..errors import NotFound, UsageError
from .schema import spec_for

VERSION = 1
FILE = "profiles.yaml"
NAME_RX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


@dataclass
class Profile:
    name: str
    type: str
    auth: str
    fields: dict = field(default_factory=dict)      # non-secret fields (incl. root)
    secrets: list[str] = field(default_factory=list)  # names of stored secret fields
    secret_store: str = "keyring"

    @property
    def spec(self):
        return spec_for(self.type)

    def to_yaml(self) -> dict:
        out = {"type": self.type, "auth": self.auth, **self.fields}
        if self.secrets:
            out["secrets"] = list(self.secrets)
            out["secret_store"] = self.secret_store
        return out

    @classmethod
    def from_yaml(cls, name: str, data: dict) -> "Profile":
        if data is not None and not isinstance(data, dict):
            raise config.file_error(config.config_dir() / FILE, f"profile '{name}' must be a mapping")
        data = dict(data or {})
        t = data.pop("type", None)
        if not t:
            raise UsageError(f"profile '{name}' in {FILE} has no type")
        t = _text(name, "type", t)
        auth = data.pop("auth", None) or spec_for(t).default_auth
        secrets = data.pop("secrets", []) or []
        store = data.pop("secret_store", "keyring")
        # hand-edited: each value the type the rest of dsctl takes it for (`type: [s3]`
        # was "unhashable type: 'list'", exit 1, in every command)
        if not isinstance(secrets, list) or not all(isinstance(k, str) for k in secrets):
            raise _bad(name, "secrets", "a list of field names")
        return cls(name, t, _text(name, "auth", auth), data, secrets, _text(name, "secret_store", store))


def _text(name: str, key: str, value) -> str:
    if not isinstance(value, str):
        raise _bad(name, key, "a string")
    return value


def _bad(name: str, key: str, want: str) -> UsageError:
    return config.file_error(config.config_dir() / FILE, f"profile '{name}': '{key}' must be {want}")


def check_name(name: str) -> str:
    if not NAME_RX.fullmatch(name or ""):   # fullmatch: `$` would let a final newline in
        raise UsageError(f"invalid profile name {name!r}: use letters, digits, '.', '_' or '-'")
    return name


def load_all() -> dict[str, Profile]:
    data = config.load_yaml(FILE)
    profiles = data.get("profiles") or {}
    if not isinstance(profiles, dict):
        raise config.file_error(config.config_dir() / FILE, "'profiles' must be a mapping")
    for name in profiles:
        if not isinstance(name, str):   # `2024:` is read as a number
            raise config.file_error(config.config_dir() / FILE,
                                    f"profile name {name!r} must be a string (quote it)")
    return {name: Profile.from_yaml(name, body) for name, body in profiles.items()}


def get(name: str) -> Profile:
    profiles = load_all()
    if name not in profiles:
        raise NotFound(f"no profile named '{name}'", f"ds://{name}")
    return profiles[name]


def save(profile: Profile) -> None:
    profiles = load_all()
    profiles[profile.name] = profile
    _write(profiles)


def delete(name: str) -> Profile:
    profiles = load_all()
    if name not in profiles:
        raise NotFound(f"no profile named '{name}'", f"ds://{name}")
    gone = profiles.pop(name)
    _write(profiles)
    if default_name() == name:
        set_default(None)
    return gone


def _write(profiles: dict[str, Profile]) -> None:
    config.save_yaml(FILE, {"version": VERSION,
                            "profiles": {n: p.to_yaml() for n, p in sorted(profiles.items())}})


def default_name() -> str | None:
    name = config.load_config().get("default_profile")
    if name is not None and not isinstance(name, str):
        raise config.file_error(config.config_dir() / "config.yaml", "'default_profile' must be a string")
    return name


def set_default(name: str | None) -> None:
    cfg = config.load_config()
    if name is None:
        cfg.pop("default_profile", None)
    else:
        cfg["default_profile"] = name
    config.save_yaml("config.yaml", cfg)
