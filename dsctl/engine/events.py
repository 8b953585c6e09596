"""What the transfer engine tells the outside world.

The engine only calls `sink(event)`; renderers (progress bars, per-file lines,
NDJSON) live in `dsctl.cli.render` and never reach into the engine.
Events may be emitted from worker threads: sinks must be thread-safe.
"""

from __future__ import annotations

from typing import Callable, Literal, NamedTuple, Union

# Events are NamedTuples rather than frozen dataclasses: the same immutable records,
# built ~6x faster at import (dataclasses exec() generated methods per class; six of
# them were ~3 ms of every command's start-up).


class Planned(NamedTuple):
    """One more file was added to the plan (totals grow while listing runs)."""
    src: str
    dst: str
    size: int | None


class PlanComplete(NamedTuple):
    files: int
    bytes: int


class Started(NamedTuple):
    src: str
    dst: str
    size: int | None


class Progress(NamedTuple):
    """`n` more bytes of `src` reached the destination."""
    src: str
    n: int


class Finished(NamedTuple):
    event: Literal["copied", "skipped", "failed"]
    src: str
    dst: str
    bytes: int
    seconds: float
    error: str | None = None
    reason: str | None = None      # why it was skipped
    dry_run: bool = False
    exit_code: int = 0             # for failures: the typed error's exit code


class Summary:
    """Totals of a run, added up from its Finished events."""

    def __init__(self, dry_run: bool = False):
        self.copied = self.skipped = self.failed = self.bytes = 0
        self.seconds = 0.0
        self.dry_run = dry_run
        self.failures: list[Finished] = []

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
