"""Put an `artifact get` destination back as it was when the get fails.

Contract (`Rollback`):
  * `guard(dst)` is called for every planned destination *before* the engine
    is handed that item, so before anything can be written there.
  * `commit()` after a run where every file was copied and verified: forgets
    the backups.
  * `undo(copied)` after a failed or interrupted run, with the destinations the
    engine reports as copied. It never raises for a file it cannot fix; it
    returns an `Undone` that says what was left, for a truthful message.

Local destinations: a file that already exists is hard-linked to a hidden
backup name in its own directory (`.<name>.<random>.dsctl-orig`, same file
system, O(1)). The engine only ever renames a finished, verified temp file
over a name (engine.localfile), so the backup keeps the original bytes
whatever happens; `undo` renames each backup over its name again, removes
the files that are new, and the directories this run made that are then
empty. Where hard links are impossible the original is renamed to the backup
name instead (it is absent from its place while the get runs). A process
killed outright can leave backup files behind; they hold the originals.

Store destinations (a URL): the objects below the target are listed once
before the run (`snapshot`); `undo` deletes only the copied objects that did
not exist then. Objects that existed and were overwritten keep the new,
verified content of the version (stores have no cheap rename to restore
from); `Undone.replaced` counts them. If the listing fails, nothing is
deleted at all (`Undone.unknown`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..errors import DsctlError, NotFound
from ..storage import Endpoint
from ..storage.translate import translating
from ..engine.localfile import side_name

BACKUP_SUFFIX = ".dsctl-orig"


@dataclass
class Undone:
    removed: int = 0                                   # new files deleted again
    restored: int = 0                                  # existing files given back their bytes
    replaced: int = 0                                  # existing files left with the new content
    kept: list[str] = field(default_factory=list)      # new files that could not be deleted
    stranded: list[str] = field(default_factory=list)  # backups that could not be put back
    unknown: bool = False                              # store listing failed: nothing deleted

    @property
    def clean(self) -> bool:
        """Whether the destination is exactly as it was before the run."""
        return not (self.replaced or self.kept or self.stranded or self.unknown)


class Rollback:
    def __init__(self, target: Endpoint):
        self.target = target
        self.backups: dict[str, str] = {}     # local path -> its backup path
        self.made: list[str] = []             # local directories that did not exist
        self._seen_dirs: set[str] = set()
        self.existing: set[str] | None = set()  # store paths present before; None: unknown

    def snapshot(self) -> None:
        """Store targets: remember which objects exist below the target (one listing)."""
        if self.target.is_local:
            return
        from ..engine.plan import walk_files

        root = self.target.path.rstrip("/")
        try:
            self.existing = {f"{root}/{rel}" for rel, _ in walk_files(self.target)}
        except NotFound:
            self.existing = set()
        except (DsctlError, OSError):
            self.existing = None

    def guard(self, dst: Endpoint) -> None:
        """Before `dst` may be written: back up a local file already there."""
        if not dst.is_local:
            return
        path = dst.path
        self._note_missing_dirs(os.path.dirname(path))
        if not os.path.lexists(path) or (os.path.isdir(path) and not os.path.islink(path)):
            return   # nothing to keep (a directory there makes the engine refuse the file)
        with translating(dst.url()):
            self.backups[path] = _backup(path)

    def commit(self) -> None:
        """Every file was verified: drop the backups."""
        for backup in self.backups.values():
            try:
                os.unlink(backup)
            except OSError:
                pass
        self.backups.clear()

    def undo(self, copied: list[Endpoint]) -> Undone:
        """Undo a failed run (see module doc); best effort, never raises OSError/DsctlError."""
        out = Undone()
        for ep in copied:
            if ep.is_local:
                if ep.path not in self.backups:
                    _remove(ep, out)
            elif self.existing is None:
                out.unknown = True
            elif ep.path in self.existing:
                out.replaced += 1
            else:
                _remove(ep, out)
        for path, backup in self.backups.items():
            try:
                _restore(backup, path)
                out.restored += 1
            except OSError:
                out.stranded.append(backup)
        self.backups.clear()
        for d in sorted(self.made, key=len, reverse=True):   # children first
            try:
                os.rmdir(d)
            except OSError:
                pass
        return out

    def _note_missing_dirs(self, d: str) -> None:
        d = os.path.abspath(d)
        while d not in self._seen_dirs and os.path.dirname(d) != d:
            self._seen_dirs.add(d)
            if os.path.isdir(d):
                return
            self.made.append(d)
            d = os.path.dirname(d)


def _backup(path: str) -> str:
    parent, name = os.path.split(path)
    for _ in range(100):
        backup = os.path.join(parent, side_name(name, BACKUP_SUFFIX))
        try:
            os.link(path, backup, follow_symlinks=False)
            return backup
        except FileExistsError:
            continue
        except (OSError, NotImplementedError):
            if os.path.lexists(backup):
                continue
            os.rename(path, backup)   # no hard links here: move the original aside
            return backup
    raise FileExistsError(f"no free backup name in {parent}")


def _restore(backup: str, path: str) -> None:
    """Put a backup back over its name. rename(2) between two links to one file does
    nothing at all, so when the original was never replaced the backup link is just
    dropped."""
    try:
        same = os.path.samestat(os.lstat(backup), os.lstat(path))
    except FileNotFoundError:
        same = False
    if same:
        os.unlink(backup)
    else:
        os.replace(backup, path)


def _remove(ep: Endpoint, out: Undone) -> None:
    try:
        with translating(ep.url()):
            os.unlink(ep.path) if ep.is_local else ep.fs.rm_file(ep.path)
        out.removed += 1
    except (DsctlError, OSError):
        out.kept.append(ep.url())
