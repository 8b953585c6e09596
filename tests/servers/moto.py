"""S3 without key checks: ``moto_server`` (stores keys such as ``../evil`` that SeaweedFS refuses)."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .base import (ServerHandle, INSTALL_HINT, ServerMissing, ServerProcess, free_port, http_answers,
                   start_with_retries)


@dataclass
class MotoServer(ServerHandle):
    """A running moto S3 server; any access key/secret is accepted."""

    endpoint_url: str
    process: ServerProcess = field(repr=False)



def _start_once(run_dir: Path) -> MotoServer:
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    proc = ServerProcess("moto", argv, run_dir)
    url = f"http://127.0.0.1:{port}"
    proc.wait_ready(lambda: http_answers(f"{url}/moto-api/"), 60)
    return MotoServer(url, proc)


def start_moto(run_dir: Path) -> MotoServer:
    """Start ``moto_server`` (as ``python -m moto.server``) on a free port."""
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        raise ServerMissing(f"moto[server] is not installed; {INSTALL_HINT}")
    return start_with_retries(_start_once, run_dir)
