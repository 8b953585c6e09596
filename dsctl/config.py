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
from typing import TYPE_CHECKING, Any, Callable, Iterator, NamedTuple

from .errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path
# pathlib and tempfile are imported where used: every command reads this module,
# most never touch a config file (together ~5 ms of each start-up).


class Settings(NamedTuple):
    profile: str | None = None        # --profile / DSCTL_PROFILE
    config_dir: str | None = None     # --config-dir / DSCTL_CONFIG_DIR
    artifact_root: str | None = None  # --artifact-root / DSCTL_ARTIFACT_ROOT
    debug: bool = False               # --debug / DSCTL_DEBUG


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


def load_yaml(name: str, *, sensitive: bool = False) -> dict[str, Any]:
    """A YAML file from the config dir as a dict ({} if absent).

    A file that cannot be parsed is a UsageError (exit 2: the user must fix it)
    naming the file, the problem and the line/column, and nothing of its content:
    PyYAML's message quotes the offending line, which in secrets.yaml is a secret.
    The YAML exception is therefore dropped (not chained, not even as __context__),
    so that no --debug traceback can print it. With `sensitive`, values that PyYAML
    quotes in the problem (tag and alias names, escape characters) are masked too.
    """
    path = os.path.join(_config_dir(), name)
    problem = None
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        problem = f"not valid UTF-8 at byte {e.start}"
    if problem is None:
        import yaml  # only when there is a file to parse: ~10 ms of every command otherwise
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            problem = _yaml_problem(e, text, sensitive)
    if problem is not None:
        # raised outside the except block: the yaml error is in neither __cause__ nor __context__
        raise file_error(path, problem)
    if not isinstance(data, dict):
        raise file_error(path, f"it must hold a mapping, not a {type(data).__name__}")
    return data


class ConfigFileError(UsageError):
    """A config file the user must fix: exit 2 (usage, like every other invalid
    configuration), one line `cannot read <file>: <problem>`. The message names the
    file, so the URL being worked on is not appended (dsctl.storage.translate gives
    one to any error that has none)."""

    def __str__(self) -> str:
        return self.message


def file_error(path, problem: str) -> ConfigFileError:
    return ConfigFileError(f"cannot read {path}: {problem}")


def _yaml_problem(e: Exception, text: str, sensitive: bool) -> str:
    """'<problem> at line N, column M' from a YAML error, without its snippet of the file.

    PyYAML quotes syntax tokens ('<stream end>', ',', '\\t') in its problems, and also
    pieces of the document (tag and alias names, escape letters): for a file of
    secrets (`sensitive`) only the former are repeated."""
    import re

    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None)
    line = col = None
    if mark is not None:
        line, col = mark.line + 1, mark.column + 1
    elif getattr(e, "position", None) is not None:  # yaml.reader.ReaderError
        pos = e.position
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        char = getattr(e, "character", None)
        problem = (f"unacceptable character #x{ord(char) if isinstance(char, str) else char:04x}"
                   if char is not None else getattr(e, "reason", None))
    problem = str(problem or "not valid YAML").strip().splitlines()[0]
    if sensitive:
        syntax = re.compile(r"<[a-z ]+>|\\[a-z0-9]|[^\w\s]{1,3}|#x[0-9a-f]{1,8}")

        def keep_syntax(m):
            inner = m.group(1) if m.group(1) is not None else m.group(2)
            return m.group(0) if syntax.fullmatch(inner) else "'...'"
        problem = re.sub(r"'([^']*)'|\"([^\"]*)\"", keep_syntax, problem)
    return f"{problem} at line {line}, column {col}" if line is not None else problem


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


@contextlib.contextmanager
def changing() -> Iterator[None]:
    """Hold the config dir's lock for a read-modify-write of its files: each write is
    atomic, but two `profile add`s at once both read the old profiles.yaml and the
    later rename dropped the other's profile. An flock on `.lock` (none on Windows)."""
    d = config_dir()
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    try:
        import fcntl
    except ImportError:   # Windows: no flock; concurrent changes are the user's risk there
        yield
        return
    fd = os.open(d / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)   # closing releases the lock


def load_config() -> dict[str, Any]:
    """config.yaml: defaults such as default_profile, artifact_root, jobs, part_size."""
    return load_yaml("config.yaml")


def configured(key: str, builtin: Any) -> Callable[[], Any]:
    """A click default for option `key`: config.yaml's value, else `builtin` (SPEC 4:
    a flag > config.yaml > the built-in). Read when the command's options are parsed,
    after --config-dir; the option's type checks the value as it would a flag's."""
    return lambda: load_config().get(key, builtin)
