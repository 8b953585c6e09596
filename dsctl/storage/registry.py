"""The backend registry, as data: scheme -> how to build and describe a store.

Nothing here imports a backend package; `dsctl.storage.resolve` does that on
first use of a scheme, so `dsctl --help` and local copies never pay for boto,
azure or google imports.
"""

from __future__ import annotations

from typing import NamedTuple


class Backend(NamedTuple):
    scheme: str              # canonical scheme (see urls.ALIASES)
    protocol: str            # fsspec protocol name
    options: str             # name of the options builder in dsctl.storage.options
    writable: bool = True
    package: str | None = None   # import name that must be present
    install: str | None = None   # how to get it, shown in the exit-7 message
    server_side_copy: bool = True  # same-store copies stay on the server
    display: str = ""        # URL prefix used when printing paths of this store
    env_setup: tuple[tuple[str, str], ...] = ()  # env defaults set before import


BACKENDS: dict[str, Backend] = {
    "local": Backend("local", "file", "local", server_side_copy=False),
    "memory": Backend("memory", "memory", "memory", display="memory://"),
    "http": Backend("http", "http", "http", writable=False, package="aiohttp",
                    install="pip install aiohttp", server_side_copy=False),
    "s3": Backend("s3", "s3", "s3", package="s3fs", install="pip install 's3fs'", display="s3://"),
    "gs": Backend("gs", "gcs", "gcs", package="gcsfs", install="pip install 'gcsfs'", display="gs://",
                  # gcsfs otherwise probes every bucket over gRPC first, which
                  # stalls ~60 s against emulators and adds latency everywhere.
                  env_setup=(("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false"),)),
    "az": Backend("az", "abfs", "azure", package="adlfs", install="pip install 'adlfs'", display="az://"),
}


def lookup(scheme: str) -> Backend | None:
    """The registered backend for a canonical scheme, or None for pass-through."""
    return BACKENDS.get(scheme)


EXTRAS = {"sftp": "sftp", "ssh": "sftp"}   # pass-through schemes pyproject has an extra for


def passthrough(scheme: str) -> Backend | None:
    """A Backend for any other protocol fsspec knows, or None if it knows none."""
    from fsspec.registry import known_implementations, registry

    if scheme not in known_implementations and scheme not in registry:
        return None
    hint = known_implementations.get(scheme, {}).get("err") or f"install the fsspec backend for {scheme}://"
    if scheme in EXTRAS:   # SPEC section 3: exit 7 names the extra
        hint = f"pip install 'dsctl[{EXTRAS[scheme]}]' ({hint})"
    return Backend(scheme, scheme, "passthrough", package=None, install=hint,
                   server_side_copy=True, display=f"{scheme}://")
