"""What the transfer engine tells the outside world.

The engine only calls `sink(event)`; renderers (progress bars, per-file lines,
NDJSON) live in `dsctl.cli.render` and never reach into the engine.
Events may be emitted from worker threads: sinks must be thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Union


@dataclass(frozen=True)
class Planned:
    """One more file was added to the plan (totals grow while listing runs)."""
    src: str
    dst: str
    size: int | None


@dataclass(frozen=True)
class PlanComplete:
    files: int
    bytes: int


@dataclass(frozen=True)
class Started:
    src: str
    dst: str
    size: int | None


@dataclass(frozen=True)
class Progress:
    """`n` more bytes of `src` reached the destination."""
    src: str
    n: int


@dataclass(frozen=True)
class Finished:
    event: Literal["copied", "skipped", "failed"]
    src: str
    dst: str
    bytes: int
    seconds: float
    error: str | None = None
    reason: str | None = None      # why it was skipped
    dry_run: bool = False
    exit_code: int = 0             # for failures: the typed error's exit code


@dataclass
class Summary:
    copied: int = 0
    skipped: int = 0
    failed: int = 0
    bytes: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    failures: list[Finished] = field(default_factory=list)

    def add(self, ev: Finished) -> None:
        if ev.event == "copied":
            self.copied += 1
            self.bytes += ev.bytes
        elif ev.event == "skipped":
            self.skipped += 1
        else:
            self.failed += 1
            self.failures.append(ev)


Event = Union[Planned, PlanComplete, Started, Progress, Finished]
Sink = Callable[[Event], None]


def null_sink(_: Event) -> None:
    pass
