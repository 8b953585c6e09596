"""Where things live below one project's root (paths relative to it).

    objects/sha256/<2 hex>/<64 hex>          content, once per sha256: files, directory
                                              members, and directory manifests
    keys/<key>/versions/<00000001>.json      immutable records, written create-only
    keys/<key>/tags/<tag>.json               mutable tag pointers ({version, uid, ...})

Version file names are zero-padded so that a lexicographic listing is in
version order; readers still parse the numbers.
"""

from __future__ import annotations

import re

OBJECTS = "objects/sha256"
KEYS = "keys"
_VERSION_FILE = re.compile(r"^(\d{8,})\.json$")


def blob(hexdigest: str) -> str:
    return f"{OBJECTS}/{hexdigest[:2]}/{hexdigest}"


def shard(hexdigest: str) -> str:
    return f"{OBJECTS}/{hexdigest[:2]}"


def versions_dir(key: str) -> str:
    return f"{KEYS}/{key}/versions"


def record(key: str, version: int) -> str:
    return f"{versions_dir(key)}/{version:08d}.json"


def tags_dir(key: str) -> str:
    return f"{KEYS}/{key}/tags"


def tag(key: str, name: str) -> str:
    return f"{tags_dir(key)}/{name}.json"


def version_of(filename: str) -> int | None:
    """The version number a record file name holds, or None for anything else."""
    m = _VERSION_FILE.match(filename)
    return int(m.group(1)) if m else None
