"""Process plumbing shared by the test servers: free ports, start, readiness, stop."""

from __future__ import annotations

import atexit
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterable, Mapping, TypeVar

INSTALL_HINT = "run `scripts/install-test-servers` (and `pip install -e .[test]`)"
_PORT_IN_USE = ("address already in use", "eaddrinuse")
_live: set["ServerProcess"] = set()
T = TypeVar("T")


class ServerMissing(RuntimeError):
    """A server binary is not installed."""


class ServerStartError(RuntimeError):
    """A server process died or did not become ready in time."""

    def __init__(self, message: str, port_conflict: bool = False):
        super().__init__(message)
        self.port_conflict = port_conflict


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(count: int, exclude: Iterable[int] = ()) -> list[int]:
    """Return ``count`` distinct free ports, none of them in ``exclude``.

    The sockets are held open together so the kernel cannot hand out one port twice.
    """
    exclude = set(exclude)
    held: list[socket.socket] = []
    try:
        while len([s for s in held if s.getsockname()[1] not in exclude]) < count:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            held.append(s)
        return [p for p in (s.getsockname()[1] for s in held) if p not in exclude][:count]
    finally:
        for s in held:
            s.close()


def free_port_pair(offset: int, exclude: Iterable[int] = ()) -> int:
    """Return a free port ``p`` such that ``p + offset`` is free too (both not in ``exclude``)."""
    exclude = set(exclude)
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            if port in exclude or port + offset in exclude or port + offset > 65535:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as b:
                try:
                    b.bind(("127.0.0.1", port + offset))
                except OSError:
                    continue
                return port
    raise RuntimeError(f"no free port p with p+{offset} free")


def find_executable(name: str, candidates: Iterable[str | Path] = ()) -> str:
    """Find ``name`` in explicit candidates, next to this Python (the venv bin), or on PATH."""
    for c in [*candidates, Path(sys.executable).parent / name]:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return str(c)
    found = shutil.which(name)
    if not found:
        raise ServerMissing(f"`{name}` not found; {INSTALL_HINT}")
    return found


def http_answers(url: str, context=None) -> bool:
    """True if ``url`` gives any HTTP response (error statuses included); ignores proxies."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True


class ServerProcess:
    """One server process: own process group, output in ``<run_dir>/<name>.log``."""

    def __init__(self, name: str, argv: list[str], run_dir: Path,
                 env: Mapping[str, str] | None = None, stop_grace: float = 5.0):
        self.name, self.argv, self.run_dir = name, [str(a) for a in argv], Path(run_dir)
        self.log_path = self.run_dir / f"{name}.log"
        self.stop_grace = stop_grace
        self.startup_seconds: float | None = None
        self._started = time.monotonic()
        with open(self.log_path, "ab") as log:
            try:
                self.proc = subprocess.Popen(
                    self.argv, cwd=self.run_dir, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, env=dict(os.environ if env is None else env),
                    start_new_session=True)
            except OSError as e:
                raise ServerStartError(f"{name}: cannot run {self.argv[0]}: {e}") from e
        _live.add(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, check: Callable[[], bool], timeout: float = 30.0) -> None:
        """Poll ``check`` until it returns True; raise ServerStartError (with the log tail)
        and stop the process if it exits or ``timeout`` passes first."""
        deadline = self._started + timeout
        while True:
            if self.proc.poll() is not None:
                self._fail(f"exited with code {self.proc.returncode} before it was ready")
            try:
                if check() and self.proc.poll() is None:
                    self.startup_seconds = time.monotonic() - self._started
                    return
            except (OSError, ValueError, http.client.HTTPException):
                pass  # not up yet
            if time.monotonic() > deadline:
                self._fail(f"not ready after {timeout:.0f} s")
            time.sleep(0.05)

    def _fail(self, why: str) -> None:
        self.stop()
        tail = self.log_tail()
        raise ServerStartError(
            f"{self.name} {why}\ncommand: {' '.join(self.argv)}\nlog {self.log_path}:\n{tail}",
            port_conflict=any(p in tail.lower() for p in _PORT_IN_USE))

    def stop(self) -> None:
        """SIGTERM the PID, SIGKILL it after ``stop_grace`` s, then kill its process group."""
        _live.discard(self)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(self.stop_grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        try:  # leftovers (workers, children) in the group; the group id is the leader's PID
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class ServerHandle:
    """What every server object shares: its ``process``, start-up time and ``stop()``."""

    process: ServerProcess

    @property
    def startup_seconds(self) -> float | None:
        return self.process.startup_seconds

    def stop(self) -> None:
        self.process.stop()


def start_with_retries(start: Callable[[Path], T], run_dir: Path, attempts: int = 3) -> T:
    """Call ``start(attempt_dir)`` with a fresh subdirectory, retrying on port conflicts
    (a port chosen as free can be taken by someone else before the server binds it)."""
    for n in range(1, attempts + 1):
        attempt_dir = Path(run_dir) / f"try{n}"
        attempt_dir.mkdir(parents=True)
        try:
            return start(attempt_dir)
        except ServerStartError as e:
            if not e.port_conflict or n == attempts:
                raise
    raise AssertionError("unreachable")


@atexit.register
def _stop_leftovers() -> None:
    """Last resort if fixtures' finalizers did not run (e.g. an interrupted session)."""
    for server in list(_live):
        server.stop()
