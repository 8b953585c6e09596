"""One key's history in a project: its versions, tags, and selector resolution.

Selectors (SPEC section 1): `#<version>`, `:<tag>`, `@<uid prefix>`; none means
latest. `latest` is always the highest version and never a stored tag. When
several are given they must name the same version (else UsageError, exit 2);
an unknown key, version, tag or uid is NotFound (exit 3); a uid prefix that
matches two versions is UsageError.
"""

from __future__ import annotations

import json

from ..errors import IntegrityError, NotFound, UsageError
from . import layout, records, storeio
from .uri import COLLECTIONS, ArtifactURI, collection_of, pinned


class History:
    def __init__(self, project_ep, project: str, key: str):
        self.project_ep, self.project, self.key = project_ep, project, key

    def at(self, rel: str):
        return self.project_ep.child(rel)

    def versions(self) -> list[int]:
        names = storeio.list_names(self.at(layout.versions_dir(self.key)))
        return sorted(v for v in map(layout.version_of, names) if v is not None)

    def record(self, version: int) -> dict:
        ep = self.at(layout.record(self.key, version))
        try:
            data = storeio.read_bytes(ep)
        except NotFound:
            raise NotFound(f"no version {version} of artifact '{self.key}'", self.label()) from None
        return records.loads(data, ep.url(), project=self.project, key=self.key, version=version)

    def latest(self) -> dict | None:
        versions = self.versions()
        return self.record(versions[-1]) if versions else None

    def tags(self) -> dict[str, dict]:
        """tag name -> pointer {"tag", "version", "uid", "updated", "by"}."""
        out = {}
        for name in storeio.list_names(self.at(layout.tags_dir(self.key))):
            if name.endswith(".json"):
                ptr = self.tag(name[:-5])
                if ptr:
                    out[name[:-5]] = ptr
        return out

    def tag(self, name: str) -> dict | None:
        ep = self.at(layout.tag(self.key, name))
        try:
            ptr = json.loads(storeio.read_bytes(ep))
        except NotFound:
            return None
        except ValueError:
            raise IntegrityError("tag pointer is not valid JSON", ep.url()) from None
        if not isinstance(ptr, dict) or not isinstance(ptr.get("version"), int):
            raise IntegrityError("tag pointer has no version", ep.url())
        return ptr

    def set_tag(self, name: str, record: dict, by: str) -> None:
        if name == "latest":
            raise UsageError("'latest' always means the highest version; it cannot be set")
        ptr = {"tag": name, "version": record["version"], "uid": record["uid"], "updated": records.now(),
               "by": by}
        storeio.put(self.at(layout.tag(self.key, name)), records.dumps(ptr))

    def label(self) -> str:
        return f"store://artifacts/{self.project}/{self.key}"

    def select(self, uri: ArtifactURI) -> dict:
        """The record `uri`'s selectors name (see module doc)."""
        versions = self.versions()
        if not versions:
            raise NotFound(f"no artifact '{self.key}' in project '{self.project}'", uri.raw)
        picks: dict[str, int] = {}
        if uri.version is not None:
            if uri.version not in versions:
                raise NotFound(f"no version {uri.version} of artifact '{self.key}'", uri.raw)
            picks[f"#{uri.version}"] = uri.version
        ptr = None
        if uri.tag is not None:
            if uri.tag == "latest":
                picks[":latest"] = versions[-1]
            else:
                ptr = self.tag(uri.tag)
                if ptr is None:
                    raise NotFound(f"no tag '{uri.tag}' on artifact '{self.key}'", uri.raw)
                picks[f":{uri.tag}"] = ptr["version"]
        if len(set(picks.values())) > 1:
            said = ", ".join(f"{s} is version {v}" for s, v in picks.items())
            raise UsageError(f"selectors disagree: {said}", uri.raw)
        if picks:
            record = self.record(next(iter(picks.values())))
        elif uri.uid is not None:
            record = self._by_uid(uri, versions)
        else:
            record = self.record(versions[-1])
        if uri.uid is not None and not record["uid"].startswith(uri.uid):
            raise UsageError(f"selectors disagree: version {record['version']} has uid "
                             f"{record['uid'][:12]}…, not @{uri.uid}", uri.raw)
        if ptr is not None and ptr.get("uid") not in (None, record["uid"]):
            raise IntegrityError(f"tag '{uri.tag}' names a uid that version {record['version']} "
                                 f"does not have (damaged or tampered)", uri.raw)
        wanted = COLLECTIONS[uri.collection]
        if wanted is not None and record.get("kind") != wanted:
            raise NotFound(f"'{self.key}' is a {record.get('kind')}, not a {wanted} "
                           f"(use {self.uri_of(record)})", uri.raw)
        return record

    def _by_uid(self, uri: ArtifactURI, versions: list[int]) -> dict:
        found = [r for r in (self.record(v) for v in reversed(versions)) if r["uid"].startswith(uri.uid)]
        if not found:
            raise NotFound(f"no version of artifact '{self.key}' has uid {uri.uid}", uri.raw)
        if len(found) > 1:
            raise UsageError(f"uid prefix {uri.uid} is ambiguous (versions "
                             f"{', '.join(str(r['version']) for r in found)})", uri.raw)
        return found[0]

    @staticmethod
    def uri_of(record: dict) -> str:
        return pinned(collection_of(record["kind"]), record["project"], record["key"],
                      record["version"], record["uid"])
