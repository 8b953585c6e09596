"""`artifact list`, `show` and `tag`: reading the history and moving tags.

Records are shown "annotated": their pinned `uri` and current `tags`
(`latest` first when it applies) come before the stored fields. list walks
projects (all of them, discovered in the root, or --project), keys and
versions, reading records a few at a time, and filters by key, labels,
kind, creation time and tag; output is ordered by project, key, version.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterator

from ..errors import UsageError
from . import layout, records, storeio
from .history import History
from .producer import producer
from .root import project_endpoint, projects
from .uri import NAME, check_name, parse_uri


def annotate(record: dict, tags: list[str]) -> dict:
    """A record as shown by show/list: its pinned uri and current tags first."""
    return {"uri": History.uri_of(record), "tags": tags, **record}


def _tags_of(history: History, record: dict, latest: int) -> list[str]:
    names = sorted(t for t, p in history.tags().items() if p["version"] == record["version"])
    return (["latest"] if record["version"] == latest else []) + names


def show(url: str) -> dict:
    uri = parse_uri(url)
    history = History(project_endpoint(uri.project), uri.project, uri.key)
    record = history.select(uri)
    return annotate(record, _tags_of(history, record, history.versions()[-1]))


def tag(url: str, name: str) -> dict:
    """Point tag `name` of the key at the version `url` selects."""
    check_name(name, "tag")
    uri = parse_uri(url)
    history = History(project_endpoint(uri.project, for_write=True), uri.project, uri.key)
    record = history.select(uri)
    p = producer(None)
    history.set_tag(name, record, f"{p['user']}@{p['host']}")
    return annotate(record, _tags_of(history, record, history.versions()[-1]))


@dataclass
class ListQuery:
    project: str | None = None
    key: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    kind: str | None = None
    since: str | None = None
    tag: str | None = None


def list_records(q: ListQuery) -> Iterator[dict]:
    """Every matching version, by project, key and version, annotated like show."""
    since = parse_since(q.since) if q.since else None
    for project in [check_name(q.project, "project")] if q.project else projects():
        project_ep = project_endpoint(project)
        keys = [check_name(q.key, "key")] if q.key else storeio.list_names(project_ep.child(layout.KEYS))
        for key in (k for k in keys if NAME.fullmatch(k)):
            history = History(project_ep, project, key)
            versions = history.versions()
            if not versions:
                continue
            tagged: dict[int, list[str]] = {versions[-1]: ["latest"]}
            for name, ptr in sorted(history.tags().items()):
                tagged.setdefault(ptr["version"], []).append(name)
            if q.tag:
                versions = [v for v in versions if q.tag in tagged.get(v, [])]
            with ThreadPoolExecutor(8) as pool:
                for r in pool.map(history.record, versions):
                    if q.kind and r.get("kind") != q.kind:
                        continue
                    if any(r.get("labels", {}).get(k) != v for k, v in q.labels.items()):
                        continue
                    if since and records.parse_time(r["created"]) < since:
                        continue
                    yield annotate(r, tagged.get(r["version"], []))


def parse_since(value: str):
    """`7d`, `12h`, `30m`, `45s`, `2w` ago, or an ISO 8601 date/time (UTC if no zone).

    An age reaching before year 1 means everything (the earliest time there is); one
    beyond what a timedelta holds (999,999,999 days) is a UsageError, as is a bad value.
    """
    import datetime as dt
    import re

    m = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", value)
    if m:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[m.group(2)]
        try:
            age = dt.timedelta(**{unit: int(m.group(1))})
        except (OverflowError, ValueError):   # past timedelta's range, or too many digits for int()
            raise UsageError(f"--since {value!r}: age too large (at most 999999999 days); "
                             "use an ISO date/time or an age like 7d, 12h, 30m") from None
        now = dt.datetime.now(dt.timezone.utc)
        earliest = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        # a datetime cannot go before year 1; nothing was created that early anyway
        return now - age if age <= now - earliest else earliest
    try:
        return records.parse_time(value)
    except ValueError:
        raise UsageError(f"--since {value!r}: use an ISO date/time or an age like 7d, 12h, 30m") from None
