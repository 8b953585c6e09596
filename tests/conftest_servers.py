"""pytest plugin: session-scoped fixtures that start real storage servers on 127.0.0.1.

Each server starts lazily, the first time a test asks for its fixture, on free ports in a
fresh directory from ``tmp_path_factory``, and is stopped at the end of the session (or of
the xdist worker).  A missing binary FAILS the test, naming ``scripts/install-test-servers``;
it never skips.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator, TypeVar

import pytest

# gcsfs reads this at import time; without it every gcsfs call against fake-gcs-server waits
# ~60 s on a gRPC probe.  Set here because this plugin loads before test modules import gcsfs.
os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"

from .servers.azurite import AzuriteServer, start_azurite  # noqa: E402
from .servers.base import ServerMissing, ServerStartError  # noqa: E402
from .servers.fakegcs import FakeGcsServer, start_fake_gcs  # noqa: E402
from .servers.ftp import FtpServer, start_ftp  # noqa: E402
from .servers.keyring import SecretService, start_secret_service  # noqa: E402
from .servers.moto import MotoServer, start_moto  # noqa: E402
from .servers.nginx import NginxServer, start_nginx  # noqa: E402
from .servers.seaweed import SeaweedServer, start_seaweed  # noqa: E402

S = TypeVar("S")


def _serve(start: Callable[..., S], tmp_path_factory, name: str) -> Iterator[S]:
    try:
        server = start(tmp_path_factory.mktemp(name))
    except ServerMissing as e:
        problem = f"{name}: {e}"
    except ServerStartError as e:
        problem = f"{name} did not start: {e}"
    else:
        problem = None
    if problem:  # outside the except block: no "during handling" traceback noise
        pytest.fail(problem, pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[SeaweedServer]:
    """SeaweedFS S3 with enforced keys: endpoint_url, admin_key/secret, reader_key/secret."""
    yield from _serve(start_seaweed, tmp_path_factory, "seaweed")


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory) -> Iterator[MotoServer]:
    """moto S3 (accepts any key, stores keys SeaweedFS refuses): endpoint_url."""
    yield from _serve(start_moto, tmp_path_factory, "moto")


@pytest.fixture(scope="session")
def azure_server(tmp_path_factory) -> Iterator[AzuriteServer]:
    """Azurite blob: account_name, account_key, blob_endpoint, connection_string."""
    yield from _serve(start_azurite, tmp_path_factory, "azurite")


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory) -> Iterator[FakeGcsServer]:
    """fake-gcs-server (no auth; use token="anon"): endpoint_url."""
    yield from _serve(start_fake_gcs, tmp_path_factory, "fakegcs")


@pytest.fixture(scope="session")
def http_server(tmp_path_factory) -> Iterator[NginxServer]:
    """nginx: http_url, https_url, root (write files here), ca_file, user, password."""
    yield from _serve(start_nginx, tmp_path_factory, "nginx")


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory) -> Iterator[SecretService]:
    """gnome-keyring on a private D-Bus: bus_address, env (DBUS_SESSION_BUS_ADDRESS)."""
    yield from _serve(start_secret_service, tmp_path_factory, "keyring")


@pytest.fixture(scope="session")
def ftp_server(tmp_path_factory) -> Iterator[FtpServer]:
    """pyftpdlib (user/password enforced): url (with credentials), root, user, password."""
    yield from _serve(start_ftp, tmp_path_factory, "ftp")
