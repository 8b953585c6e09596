"""HTTP(S): nginx serving a directory read-only, with ranged GETs, autoindex and basic auth.

Plain HTTP and TLS listen on two free ports; the TLS certificate comes from a throwaway
``trustme`` CA whose PEM is written to the run dir (point ``SSL_CERT_FILE`` at ``ca_file``).
``/private/`` needs basic auth as alice/wonderland.
"""

from __future__ import annotations

import base64
import hashlib
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from .base import (ServerHandle, INSTALL_HINT, ServerMissing, ServerProcess, find_executable, free_ports,
                   http_answers, start_with_retries)

USER, PASSWORD = "alice", "wonderland"
CONFIG = """\
daemon off;
master_process on;
worker_processes 1;
{user}
pid "{run}/nginx.pid";
error_log stderr notice;
events {{ worker_connections 512; }}
http {{
    default_type application/octet-stream;
    access_log "{run}/access.log";
    client_body_temp_path "{run}/temp/body";
    proxy_temp_path "{run}/temp/proxy";
    fastcgi_temp_path "{run}/temp/fastcgi";
    uwsgi_temp_path "{run}/temp/uwsgi";
    scgi_temp_path "{run}/temp/scgi";
    sendfile on;
    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{tls_port} ssl;
        server_name localhost;
        ssl_certificate "{run}/server.pem";
        ssl_certificate_key "{run}/server.key";
        root "{root}";
        autoindex on;
        location /private/ {{
            auth_basic "private";
            auth_basic_user_file "{run}/htpasswd";
        }}
    }}
}}
"""


@dataclass
class NginxServer(ServerHandle):
    """A running nginx serving ``root`` at ``http_url`` and ``https_url`` (no trailing /)."""

    http_url: str
    https_url: str
    root: Path
    ca_file: Path
    user: str
    password: str
    process: ServerProcess = field(repr=False)



def find_nginx() -> str:
    try:
        return find_executable("nginx", ["/usr/sbin/nginx"])
    except ServerMissing:
        raise ServerMissing(f"nginx not found; {INSTALL_HINT}") from None


def htpasswd_line(user: str, password: str) -> str:
    """An htpasswd entry in the ``{SHA}`` scheme nginx understands."""
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{user}:{{SHA}}{digest}\n"


def _write_tls(run: Path) -> Path:
    try:
        import trustme
    except ImportError:
        raise ServerMissing(f"trustme is not installed; {INSTALL_HINT}") from None
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.cert_chain_pems[0].write_to_path(run / "server.pem")
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(run / "server.pem", append=True)
    cert.private_key_pem.write_to_path(run / "server.key")
    ca.cert_pem.write_to_path(run / "ca.pem")
    return run / "ca.pem"


def _start_once(run: Path, exe: str, root: Path) -> NginxServer:
    port, tls_port = free_ports(2)
    ca_file = _write_tls(run)
    (run / "htpasswd").write_text(htpasswd_line(USER, PASSWORD))
    (run / "temp").mkdir()
    # Workers would switch to "nobody" when started as root and could not enter pytest's
    # 0700 temp dirs; as non-root the user directive is moot.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = run / "nginx.conf"
    conf.write_text(CONFIG.format(user=user, run=run, port=port, tls_port=tls_port, root=root))
    argv = [exe, "-p", f"{run}/", "-c", conf, "-e", "stderr"]  # errors go to nginx.log
    proc = ServerProcess("nginx", argv, run)
    ctx = ssl.create_default_context(cafile=str(ca_file))
    proc.wait_ready(lambda: http_answers(f"http://127.0.0.1:{port}/")
                    and http_answers(f"https://127.0.0.1:{tls_port}/", context=ctx), 30)
    return NginxServer(f"http://127.0.0.1:{port}", f"https://127.0.0.1:{tls_port}",
                       root, ca_file, USER, PASSWORD, proc)


def start_nginx(run_dir: Path, root: Path | None = None) -> NginxServer:
    """Start nginx serving ``root`` (default: ``<run_dir>/www``, created with ``private/``)."""
    exe = find_nginx()
    root = Path(root) if root is not None else Path(run_dir) / "www"
    (root / "private").mkdir(parents=True, exist_ok=True)
    return start_with_retries(lambda d: _start_once(d, exe, root.resolve()), run_dir)
