"""Azure Blob: Azurite (npm, installed by ``scripts/install-test-servers`` into ``.tools``)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .base import (ServerHandle, INSTALL_HINT, ServerMissing, ServerProcess, find_executable, free_port,
                   http_answers, start_with_retries)

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_NAME = "devstoreaccount1"
# The documented, well-known development-storage key Azurite accepts.
ACCOUNT_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
               "K1SZFPTOtr/KBHBeksoGMGw==")


@dataclass
class AzuriteServer(ServerHandle):
    """A running Azurite blob service that enforces the account key."""

    blob_endpoint: str
    account_name: str
    account_key: str
    process: ServerProcess = field(repr=False)

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={self.account_name};"
                f"AccountKey={self.account_key};BlobEndpoint={self.blob_endpoint};")



def tools_dir() -> Path:
    """Where install-test-servers puts npm tools: $DSCTL_TOOLS_DIR or <repo>/.tools."""
    return Path(os.environ.get("DSCTL_TOOLS_DIR") or REPO_ROOT / ".tools")


def find_azurite() -> str:
    """The azurite-blob launcher (a node script); also checks that node exists."""
    exe = find_executable("azurite-blob", [tools_dir() / "azurite/node_modules/.bin/azurite-blob"])
    if not shutil.which("node"):
        raise ServerMissing(f"`node` not found (needed by {exe}); {INSTALL_HINT}")
    return exe


def _start_once(run_dir: Path, exe: str) -> AzuriteServer:
    port = free_port()
    # --location cannot be combined with --inMemoryPersistence; the process runs with
    # cwd=run_dir, which is its default workspace.
    argv = [exe, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
            "--skipApiVersionCheck", "--disableTelemetry"]
    proc = ServerProcess("azurite", argv, run_dir)
    proc.wait_ready(lambda: http_answers(f"http://127.0.0.1:{port}/"), 60)
    return AzuriteServer(f"http://127.0.0.1:{port}/{ACCOUNT_NAME}", ACCOUNT_NAME, ACCOUNT_KEY, proc)


def start_azurite(run_dir: Path) -> AzuriteServer:
    """Start azurite-blob in memory on a free port."""
    exe = find_azurite()
    return start_with_retries(lambda d: _start_once(d, exe), run_dir)
