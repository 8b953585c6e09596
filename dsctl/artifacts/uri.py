"""The `store://` URI grammar (SPEC section 1) and read access to stored versions.

    store://<kind>/<project>/<key>[#<version>][:<tag>][@<uid prefix>]

kind is a collection: `artifacts` (any kind), `datasets`, `models`, `plots`.
Selectors may come in any order, each at most once; MLRun's `^<uid>` is
accepted as `@<uid>`. No selector means the latest version. Malformed URIs
are UsageError (exit 2). Parsing is pure string work.

`resolve_store_url(url)` is what `dsctl.storage.resolve` calls for store://
URLs: it returns a read-only Endpoint over the selected version's content
(see view.py), so cp, cat, download, stat and ls read artifacts like any store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UsageError

COLLECTIONS = {"artifacts": None, "datasets": "dataset", "models": "model", "plots": "plot"}
KINDS = ("file", "dir", "dataset", "model", "plot")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SELECTOR = re.compile(r"([#:@^])([^#:@^]*)")


def collection_of(kind: str) -> str:
    """The URI collection a record of `kind` is addressed by."""
    return {"dataset": "datasets", "model": "models", "plot": "plots"}.get(kind, "artifacts")


def check_name(value: str, what: str, url: str | None = None) -> str:
    if not NAME.fullmatch(value or ""):
        raise UsageError(f"invalid {what} {value!r}: use letters, digits, '.', '_' or '-' "
                         f"(starting with a letter or digit)", url)
    return value


@dataclass(frozen=True)
class ArtifactURI:
    collection: str
    project: str
    key: str
    version: int | None = None
    tag: str | None = None
    uid: str | None = None
    raw: str = ""

    @property
    def base(self) -> str:
        return f"store://{self.collection}/{self.project}/{self.key}"

    @property
    def has_selector(self) -> bool:
        return self.version is not None or self.tag is not None or self.uid is not None


def pinned(collection: str, project: str, key: str, version: int, uid: str) -> str:
    return f"store://{collection}/{project}/{key}#{version}@{uid}"


def parse_uri(raw: str) -> ArtifactURI:
    """Parse a store:// URI; UsageError if malformed."""
    m = re.match(r"(?i)^store://(.*)$", raw or "", re.S)
    if not m:
        raise UsageError("not a store:// URI", raw)
    rest = m.group(1)
    rest = rest[:-1] if rest.endswith("/") else rest
    parts = rest.split("/")
    if len(parts) != 3:
        raise UsageError("malformed store:// URI: expected store://<kind>/<project>/<key>", raw)
    collection, project, tail = parts
    if collection not in COLLECTIONS:
        raise UsageError(f"unknown artifact kind '{collection}' (use {', '.join(COLLECTIONS)})", raw)
    check_name(project, "project", raw)
    km = NAME.match(tail)
    if not km:
        raise UsageError("malformed store:// URI: missing or invalid key", raw)
    key, sel = km.group(0), tail[km.end():]
    found: dict[str, str] = {}
    pos = 0
    for sm in _SELECTOR.finditer(sel):
        if sm.start() != pos:
            break
        pos = sm.end()
        mark, value = ("@" if sm.group(1) == "^" else sm.group(1)), sm.group(2)
        if mark in found and found[mark] != value:
            raise UsageError(f"'{mark}' given twice", raw)
        found[mark] = value
    if pos != len(sel):
        raise UsageError("malformed store:// URI selector", raw)
    version = tag = uid = None
    if "#" in found:
        if not re.fullmatch(r"[1-9][0-9]{0,8}", found["#"]):
            raise UsageError("version must be a positive number (#3)", raw)
        version = int(found["#"])
    if ":" in found:
        tag = check_name(found[":"], "tag", raw)
    if "@" in found:
        if not re.fullmatch(r"[0-9a-fA-F]{4,64}", found["@"]):
            raise UsageError("uid must be 4 to 64 hex digits (@1f2e3d4c)", raw)
        uid = found["@"].lower()
    return ArtifactURI(collection, project, key, version, tag, uid, raw)


def resolve_store_url(url: str):
    """A read-only Endpoint over the content of the version `url` selects."""
    from .history import History
    from .root import project_endpoint
    from .view import version_endpoint

    uri = parse_uri(url)
    history = History(project_endpoint(uri.project), uri.project, uri.key)
    record = history.select(uri)
    return version_endpoint(history.project_ep, record, url, strict=False)
