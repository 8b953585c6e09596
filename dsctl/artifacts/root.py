"""Which artifact root, and where one project's artifacts live in it (SPEC section 5).

Precedence, written once here:
  --artifact-root (dsctl.config.current().artifact_root) > DSCTL_ARTIFACT_ROOT >
  config.yaml `artifact_root` > <user data dir>/artifacts (works with no cloud).
The root is any URL dsctl can write (ds:// included). If it contains
`{{project}}` the project name is substituted there; otherwise each project
is a directory `<root>/<project>`.
"""

from __future__ import annotations

import os
import re

from .. import config
from ..errors import AccessDenied, DsctlError, MissingBucket, NotFound, TransientError, UsageError

PROJECT_VAR = re.compile(r"\{\{\s*project\s*\}\}")


def root_template() -> str:
    """The artifact root as configured, `{{project}}` not yet expanded."""
    root = (config.current().artifact_root or os.environ.get("DSCTL_ARTIFACT_ROOT")
            or config.load_config().get("artifact_root"))
    if root is not None and not isinstance(root, str):
        raise UsageError("config.yaml: artifact_root must be a string")
    return root or str(config.data_dir() / "artifacts")


def project_url(project: str) -> str:
    """The URL of one project's part of the root."""
    t = root_template()
    if PROJECT_VAR.search(t):
        return PROJECT_VAR.sub(project, t)
    return t.rstrip("/" + os.sep) + "/" + project


def project_endpoint(project: str, *, for_write: bool = False):
    from ..storage import resolve

    return resolve(project_url(project), for_write=for_write)


def artifact_root(project_ep):
    """What a logged directory must leave out: the whole root, or with `{{project}}` in
    it (roots spread over places) this project's part."""
    t = root_template()
    if PROJECT_VAR.search(t):
        return project_ep
    from ..storage import resolve

    return resolve(t)


def projects() -> list[str]:
    """Every project present in the root (for `artifact list` without --project).

    A root that does not exist yet has no projects ([]). Every other failure is
    raised as it is: a missing bucket or container (MissingBucket, exit 3),
    access denied (exit 4), a network error (exit 5) - never "no artifacts"."""
    from ..storage import resolve
    from ..storage.globs import glob
    from ..storage.listing import list_dir
    from ..storage.translate import translating
    from .uri import NAME

    t = root_template()
    if not PROJECT_VAR.search(t):
        ep = resolve(t)
        try:
            if ep.store is None:   # fsspec caches listings; dsctl's own clients do not
                with translating(ep.url()):
                    ep.fs.invalidate_cache()
            entries = list_dir(ep)
        except MissingBucket:
            raise
        except NotFound:
            return []
        names = {e["name"].rstrip("/").rsplit("/", 1)[-1] for e in entries if e.get("type") == "directory"}
        return sorted(n for n in names if NAME.fullmatch(n))
    if len(PROJECT_VAR.findall(t)) != 1:
        raise UsageError("this artifact root uses {{project}} more than once; pass --project", t)
    marker = "dsctlprojectmarker"
    ep = resolve(PROJECT_VAR.sub(marker, t))
    head, _, tail = ep.path.partition(marker)
    pattern = re.compile(re.escape(head) + r"([A-Za-z0-9][A-Za-z0-9._-]*)" + re.escape(tail) + r"/?$")
    try:
        if ep.store is None:
            with translating(ep.url()):
                ep.fs.invalidate_cache()
        found = glob(ep.at(head + "*" + tail))
    except (MissingBucket, AccessDenied, TransientError):
        raise
    except (DsctlError, NotImplementedError):
        raise UsageError("cannot discover projects in this artifact root; pass --project", t) from None
    names = set()
    for path in found:
        m = pattern.match(path)
        if m and NAME.fullmatch(m.group(1)):
            names.add(m.group(1))
    return sorted(names)
