"""Run dsctl the way a user does: in-process through dsctl.cli.main (fast,
shares memory:// between calls) or as a real subprocess (signals, TTYs,
startup)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from click.testing import CliRunner

from dsctl.cli import main

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Result:
    code: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace")

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line]

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"Result(code={self.code}, out={self.out[:500]!r}, err={self.err[-1500:]!r})"


def run(*args: str, input: bytes | None = None, env: dict | None = None) -> Result:
    """dsctl ARGS in this process; env entries with value None are removed."""
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as streams:
        out, err = streams[0], streams[1]
        code = main([str(a) for a in args])
        sys.stdout.flush()
        sys.stderr.flush()
        return Result(int(code), out.getvalue(), err.getvalue().decode("utf-8", "replace"))


def run_proc(*args: str, env: dict | None = None, input: bytes | None = None,
             timeout: float = 120) -> Result:
    """dsctl ARGS as a separate process."""
    full_env = dict(os.environ)
    for k, v in (env or {}).items():
        if v is None:
            full_env.pop(k, None)
        else:
            full_env[k] = v
    p = subprocess.run([sys.executable, "-m", "dsctl", *map(str, args)], input=input,
                       capture_output=True, env=full_env, timeout=timeout, cwd=REPO)
    return Result(p.returncode, p.stdout, p.stderr.decode("utf-8", "replace"))


def run_unprivileged(*args: str, timeout: float = 120) -> Result:
    """dsctl ARGS as a separate process that file permissions apply to: as root (CI),
    through setpriv(1) without the capabilities that bypass them."""
    prefix = []
    if os.geteuid() == 0:
        caps = "-dac_override,-dac_read_search,-fowner"
        prefix = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]
    p = subprocess.run([*prefix, sys.executable, "-m", "dsctl", *map(str, args)],
                       capture_output=True, timeout=timeout, cwd=REPO)
    return Result(p.returncode, p.stdout, p.stderr.decode("utf-8", "replace"))
