"""Where configuration lives and the per-invocation settings (SPEC section 4).

Config dir precedence, written once here:
  --config-dir > DSCTL_CONFIG_DIR > $XDG_CONFIG_HOME/dsctl > ~/.config/dsctl
The CLI puts the global options of one invocation into a context variable
(`use`); lower layers read them with `current()` instead of taking click
objects or mutating os.environ.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple

if TYPE_CHECKING:
    from pathlib import Path
# pathlib and tempfile are imported where used: every command reads this module,
# most never touch a config file (together ~5 ms of each start-up).


class Settings(NamedTuple):
    profile: str | None = None        # --profile / DSCTL_PROFILE
    config_dir: str | None = None     # --config-dir / DSCTL_CONFIG_DIR
    artifact_root: str | None = None  # --artifact-root / DSCTL_ARTIFACT_ROOT


_current: contextvars.ContextVar[Settings] = contextvars.ContextVar("dsctl_settings", default=Settings())


def current() -> Settings:
    return _current.get()


@contextlib.contextmanager
def use(settings: Settings) -> Iterator[Settings]:
    token = _current.set(settings)
    try:
        yield settings
    finally:
        _current.reset(token)


def config_dir() -> Path:
    from pathlib import Path

    return Path(_config_dir())


def _config_dir() -> str:
    s = current()
    if s.config_dir:
        return os.path.expanduser(s.config_dir)
    if os.environ.get("DSCTL_CONFIG_DIR"):
        return os.path.expanduser(os.environ["DSCTL_CONFIG_DIR"])
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return os.path.join(xdg if xdg else os.path.join(os.path.expanduser("~"), ".config"), "dsctl")


def data_dir() -> Path:
    from pathlib import Path

    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "dsctl"


def load_yaml(name: str) -> dict[str, Any]:
    """A YAML file from the config dir as a dict ({} if absent)."""
    path = os.path.join(_config_dir(), name)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    import yaml  # only when there is a file to parse: ~10 ms of every command otherwise
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        from .errors import UsageError

        raise UsageError(f"{name} must hold a mapping", str(path))
    return data


def save_yaml(name: str, data: dict[str, Any]) -> Path:
    """Write a YAML file atomically, dir 0700 and file 0600."""
    import tempfile

    import yaml

    d = config_dir()
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            yaml.safe_dump(data, f, sort_keys=False)
        os.chmod(tmp, 0o600)
        os.replace(tmp, d / name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return d / name


def load_config() -> dict[str, Any]:
    """config.yaml: defaults such as default_profile, artifact_root, jobs, part_size."""
    return load_yaml("config.yaml")
