"""Secret values: the OS keyring (service `dsctl:<profile>`, one entry per
field), or a 0600 file the user explicitly chose with --insecure-storage.

A keyring is usable only if it is a real backend (not keyring's fail/null
backends, not a plaintext keyrings.alt file chosen silently) and, when there
is no terminal to answer an unlock prompt, not locked.
"""

from __future__ import annotations

import os
import sys

from .. import config, redact
from ..errors import AccessDenied, UsageError

SECRETS_FILE = "secrets.yaml"
_REFUSED = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt", "keyring.backends.chainer")


def service(profile: str) -> str:
    return f"dsctl:{profile}"


def keyring_problem() -> str | None:
    """Why the keyring cannot hold secrets here, or None if it can."""
    try:
        import keyring
    except ImportError:
        return "the keyring package is not installed"
    kr = keyring.get_keyring()
    backends = getattr(kr, "backends", [kr])
    real = [b for b in backends if not type(b).__module__.startswith(_REFUSED)]
    if not real:
        return f"no usable OS keyring (backend: {type(kr).__module__}.{type(kr).__name__})"
    if type(real[0]).__module__.endswith("SecretService") and not sys.stdin.isatty():
        try:
            import secretstorage

            conn = secretstorage.dbus_init()
            if secretstorage.get_default_collection(conn).is_locked():
                return "the keyring is locked and there is no terminal to unlock it"
        except Exception as e:  # noqa: BLE001 - any failure here means "not usable"
            return f"the Secret Service keyring is not reachable ({type(e).__name__})"
    return None


def _file() -> dict:
    """secrets.yaml; a damaged file is a one-line UsageError quoting none of it."""
    return config.load_yaml(SECRETS_FILE, sensitive=True)


def _entry(data: dict, profile: str) -> dict:
    entry = data.get(profile) or {}
    if not isinstance(entry, dict):
        raise config.file_error(secrets_file_path(), f"the entry for profile '{profile}' "
                                f"must be a mapping of field names to values")
    return entry


def put(profile: str, fields: dict[str, str], store: str) -> None:
    if store == "file":
        data = _file()
        data[profile] = {**_entry(data, profile), **fields}
        config.save_yaml(SECRETS_FILE, data)
        return
    import keyring

    for k, v in fields.items():
        keyring.set_password(service(profile), k, v)


def get(profile: str, field: str, store: str) -> str | None:
    if store == "file":
        value = _entry(_file(), profile).get(field)
        if value is not None and not isinstance(value, str):
            value = str(value)  # a secret that YAML read as a number or a date
    else:
        import keyring
        from keyring.errors import KeyringError

        try:
            value = keyring.get_password(service(profile), field)
        except (KeyringError, RuntimeError) as e:   # none usable (keyring's long advice)
            raise AccessDenied(f"cannot read the secrets of profile '{profile}' from the keyring: "
                               f"{keyring_problem() or type(e).__name__}") from None
    redact.register(value)
    return value


def delete(profile: str, fields: list[str], store: str) -> None:
    if store == "file":
        # only the fields named: a re-added profile drops its stale ones and keeps the rest
        data = _file()
        entry = data.get(profile)
        if isinstance(entry, dict) and any(k in entry for k in fields):
            for k in fields:
                entry.pop(k, None)
            if not entry:
                del data[profile]
            config.save_yaml(SECRETS_FILE, data)
        return
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    for k in fields:
        try:
            keyring.delete_password(service(profile), k)
        except PasswordDeleteError:
            pass   # not there: nothing to delete
        except (KeyringError, RuntimeError) as e:   # none usable (keyring's long advice)
            raise AccessDenied(f"cannot delete the secrets of profile '{profile}' from the keyring: "
                               f"{keyring_problem() or type(e).__name__}; nothing was changed (run "
                               f"it where the keyring is usable)") from None


def require_usable(insecure_ok: bool) -> str:
    """The store to use for new secrets; refuses (exit 2) when there is none."""
    problem = keyring_problem()
    if problem is None:
        return "keyring"
    if insecure_ok:
        return "file"
    raise UsageError(f"cannot store secrets: {problem}. Use '--auth env' to read credentials from the "
                     f"environment, or '--insecure-storage' to keep them in a 0600 file in "
                     f"{config.config_dir()}")


def secrets_file_path() -> str:
    return os.fspath(config.config_dir() / SECRETS_FILE)
