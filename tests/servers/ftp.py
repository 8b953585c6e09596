"""pyftpdlib's FTP server: a real server for a protocol dsctl passes through to fsspec."""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .base import ServerHandle, ServerProcess, free_port, start_with_retries


@dataclass
class FtpServer(ServerHandle):
    host: str
    port: int
    user: str
    password: str
    root: Path
    process: ServerProcess = field(repr=False)

    @property
    def url(self) -> str:
        return f"ftp://{self.user}:{self.password}@{self.host}:{self.port}"


def _answers(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        return s.recv(3) == b"220"


def _start_once(run_dir: Path) -> FtpServer:
    port = free_port()
    root = run_dir / "ftproot"
    root.mkdir()
    proc = ServerProcess("ftp", [sys.executable, "-m", "pyftpdlib", "-i", "127.0.0.1", "-p", str(port),
                                 "-u", "ftpuser", "-P", "ftp-pass-123", "-d", str(root), "-w"], run_dir)
    proc.wait_ready(lambda: _answers(port), timeout=15)
    return FtpServer("127.0.0.1", port, "ftpuser", "ftp-pass-123", root, proc)


def start_ftp(run_dir: Path) -> FtpServer:
    return start_with_retries(_start_once, run_dir)
