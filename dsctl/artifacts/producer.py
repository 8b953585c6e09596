"""Who, where and what produced a version: the record's `producer` field.

    {"user", "host", "dsctl": version, "command": scrubbed command line,
     "git": {"commit", "remote", "dirty"}}   # git only inside a work tree

Secrets never land in a record: the command line goes through
dsctl.redact.scrub, and a git remote loses any user:password@ part.
Git is asked with a short timeout; no git, or no repository, means no `git`.
"""

from __future__ import annotations

import getpass
import os
import shlex
import socket
import subprocess
from urllib.parse import urlsplit, urlunsplit

from .. import __version__
from ..redact import scrub


def producer(command: list[str] | None, cwd: str | None = None) -> dict:
    out: dict = {"user": _user(), "host": socket.gethostname(), "dsctl": __version__}
    if command:
        out["command"] = scrub(shlex.join(command))
    git = git_info(cwd or os.getcwd())
    if git:
        out["git"] = git
    return out


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _git(cwd: str, *args: str) -> str | None:
    try:
        p = subprocess.run(["git", "-C", cwd, *args], capture_output=True, timeout=5,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return p.stdout.decode("utf-8", "replace").strip() if p.returncode == 0 else None


def git_info(cwd: str) -> dict | None:
    commit = _git(cwd, "rev-parse", "HEAD")
    if not commit:
        return None
    info: dict = {"commit": commit}
    remote = _git(cwd, "config", "--get", "remote.origin.url")
    if remote is None:
        names = (_git(cwd, "remote") or "").split()
        remote = _git(cwd, "config", "--get", f"remote.{names[0]}.url") if names else None
    if remote:
        info["remote"] = strip_userinfo(remote)
    status = _git(cwd, "status", "--porcelain", "--untracked-files=no")
    if status is not None:
        info["dirty"] = bool(status)
    return info


def strip_userinfo(url: str) -> str:
    """https://user:token@host/x -> https://host/x (scp-style git@host:x is kept)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return scrub(url)
    if parts.scheme and "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
        return urlunsplit(parts)
    return scrub(url)
