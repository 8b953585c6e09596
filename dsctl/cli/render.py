"""Turn engine events into what the user sees: bars, lines or NDJSON.

  * stderr is a terminal (or --progress): a rich progress bar with total
    bytes, files done/total, rate and ETA
  * -v: one line per file on stderr
  * --json: one JSON object per event on stdout, then a summary object
  * always (unless -q): failures on stderr, and a one-line summary at the end
Events arrive from worker threads; everything here is serialised by a lock.
"""

from __future__ import annotations

import sys
import threading

from ..engine import events as ev
from ..redact import scrub
from .fmt import human, one_line


class Renderer:
    def __init__(self, app, verb: str = "copied", data_on_stdout: bool = False):
        """`data_on_stdout`: the copy's bytes go to stdout (`cp URL -`), which then
        carries nothing else (SPEC section 3): NDJSON events go to stderr."""
        self.app, self.verb = app, verb
        self._data_on_stdout = data_on_stdout
        self._lock = threading.Lock()
        self._bar = None
        self._task = None
        self._files_total = 0
        self._files_done = 0
        self._bytes_total = 0
        self._plan_done = False
        self._planned: dict[tuple[str, str], int] = {}   # bar only: each pending file's size
        self._moved: dict[str, int] = {}                  # bar only: its bytes shown so far

    # -- lifecycle -----------------------------------------------------
    @property
    def _lines(self):
        # looked up at each line: while the bar is live, rich puts a proxy in sys.stdout
        # that prints above the bar (a dry run's lines on the same terminal)
        return sys.stderr if self._data_on_stdout else sys.stdout

    def __enter__(self) -> "Renderer":
        # no bar over a file's bytes on the same terminal (`cp URL -`, as aws s3 cp - and curl)
        if self.app.show_bars() and not (self._data_on_stdout and sys.stdout.isatty()):
            from rich.console import Console
            from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                       TimeRemainingColumn, TransferSpeedColumn)

            console = Console(stderr=True)
            if console.width < 40:
                # no bar: each redraw would wrap and leave a line behind (one forced to 80
                # columns flooded the screen); messages and the summary print plainly
                return self
            # narrow: files, a short bar and the bytes, whole; rate and ETA where they fit
            wide = console.width >= 72
            columns = [TextColumn("{task.description}"), BarColumn(bar_width=40 if wide else 8),
                       DownloadColumn(binary_units=True)]
            if wide:
                columns += [TransferSpeedColumn(), TimeRemainingColumn()]
            self._bar = Progress(*columns, console=console, transient=False, refresh_per_second=8)
            self._bar.start()
            self._task = self._bar.add_task(self._files_label(), total=None)
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()

    @property
    def wants_progress(self) -> bool:
        """Only the bar draws Planned/Started/Progress events (see engine.run)."""
        return self._bar is not None

    def _files_label(self) -> str:
        total = f"{self._files_total}" + ("" if self._plan_done else "+")
        return f"{self._files_done}/{total} files"

    # -- events --------------------------------------------------------
    def __call__(self, e: ev.Event) -> None:
        with self._lock:
            if isinstance(e, ev.Planned):
                self._files_total += 1
                self._bytes_total += e.size or 0
                if self._bar is not None:
                    self._planned[e.src, e.dst] = e.size or 0
                self._update()
            elif isinstance(e, ev.PlanComplete):
                self._plan_done = True
                self._update()
            elif isinstance(e, ev.Progress):
                if self._bar is not None:
                    self._moved[e.src] = self._moved.get(e.src, 0) + e.n
                    self._bar.advance(self._task, e.n)
            elif isinstance(e, ev.Finished):
                self._files_done += 1
                self._unplan(e)
                self._update()
                self._finished(e)

    def _unplan(self, e: ev.Finished) -> None:
        """A file skipped or failed takes its bytes out of the bar's total (and what it
        had shown of them): a finished run stood at "0.2/86.2 MiB" with an ETA."""
        if self._bar is None:
            return
        size = self._planned.pop((e.src, e.dst), 0)
        moved = self._moved.pop(e.src, 0)
        if e.event != "copied" and not e.dry_run:
            self._bytes_total -= size
            if moved:
                self._bar.advance(self._task, -moved)

    def _update(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, total=self._bytes_total or None, description=self._files_label())

    def _finished(self, e: ev.Finished) -> None:
        if self.app.json:
            obj = {"event": e.event, "src": e.src, "dst": e.dst, "bytes": e.bytes,
                   "seconds": round(e.seconds, 6)}
            if e.error:
                obj["error"] = e.error
            if e.reason:
                obj["reason"] = e.reason
            if e.dry_run:
                obj["dry_run"] = True
            self._out(_json(obj), listing=e.dry_run)
        if e.event == "failed":
            self._err(f"dsctl: error: {e.error}")
        elif e.dry_run and not self.app.json:
            self._out(f"would copy {one_line(e.src)} -> {one_line(e.dst)}", listing=True)
        elif self.app.verbose and not self.app.quiet:
            if e.event == "copied":
                self._err(f"{self.verb} {one_line(e.src)} -> {one_line(e.dst)} ({human(e.bytes)})")
            else:
                self._err(f"skipped {one_line(e.src)} -> {one_line(e.dst)} ({e.reason})")

    # -- output --------------------------------------------------------
    def _out(self, line: str, listing: bool = False) -> None:
        """`listing`: the line is the output asked for (a dry run's), so a reader that
        left ends the run, as `ls | head` does; otherwise it only reports a transfer."""
        if not write_line(self._lines, scrub(line)) and listing:
            raise BrokenPipeError()

    def _err(self, line: str) -> None:
        if self._bar is not None:
            # soft_wrap: the terminal wraps a long line; rich would cut it into several
            self._bar.console.print(scrub(line), markup=False, highlight=False, soft_wrap=True)
        else:
            write_line(sys.stderr, scrub(line))

    def summary(self, s: ev.Summary, skip_hint: str = "", extra: dict | None = None) -> None:
        """`extra`: more counts for the JSON summary (sync's "deleted")."""
        if self.app.json:
            self._out(_json({"event": "summary", "copied": s.copied, "skipped": s.skipped,
                                  "failed": s.failed, "bytes": s.bytes, "seconds": round(s.seconds, 6),
                                  "dry_run": s.dry_run, **(extra or {})}))
        if self.app.quiet:
            return
        if s.dry_run:
            line = f"dsctl: dry run: would copy {s.copied} files ({human(s.bytes)})"
        else:
            rate = f", {human(int(s.bytes / s.seconds))}/s" if s.seconds > 0 and s.bytes else ""
            line = (f"dsctl: {self.verb} {s.copied} file{'s' if s.copied != 1 else ''} "
                    f"({human(s.bytes)}) in {s.seconds:.2f}s{rate}")
        if s.skipped:
            line += f"; skipped {s.skipped}{skip_hint}"
        if s.failed:
            line += f"; failed {s.failed}"
        with self._lock:
            self._err(line)


def _json(obj: dict) -> str:
    import json   # only --json output needs it

    return json.dumps(obj)


class Deletions:
    """What rm and sync --delete say of each path: a JSON event, or a dry run's line,
    on stdout; -v's line (not with -q) and every failure on stderr - through
    `renderer` while its bar is live, so no line lands on the bar."""

    def __init__(self, app, event: str, verb: str, dry_run: bool, renderer: Renderer | None = None):
        self.app, self.event, self.verb, self.dry_run, self.r = app, event, verb, dry_run, renderer

    def done(self, url: str) -> None:
        if self.app.json:
            self._out(_json({"event": self.event, "url": url, "dry_run": self.dry_run}))
        elif self.dry_run:
            self._out(f"would {self.verb} {one_line(url)}")
        elif self.app.verbose and not self.app.quiet:
            self._err(f"{self.event} {one_line(url)}")

    def failed(self, e) -> None:
        if self.app.json:
            self._out(_json({"event": "failed", "url": e.url, "error": str(e)}))
        self._err(f"dsctl: error: {e}")

    def _out(self, line: str) -> None:
        # a dry run's lines are what was asked for: a reader that left ends it
        if not write_line(sys.stdout, line) and self.dry_run:
            raise BrokenPipeError()

    def _err(self, line: str) -> None:
        if self.r is None:
            write_line(sys.stderr, line)
            return
        with self.r._lock:
            self.r._err(line)


def write_line(stream, line: str) -> bool:
    """Write one line of a command's report; False if its reader left. The transfer or
    deletion it reports goes on (`dsctl --json cp -r … | head -1` copied 2 files of 100
    and exited 0): the stream's descriptor is pointed at /dev/null, so later lines and
    the interpreter's last flush do not fail on it."""
    try:
        stream.write(line + "\n")
        stream.flush()
        return True
    except BrokenPipeError:
        import os

        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, stream.fileno())
            os.close(null)
        except (OSError, ValueError):   # not a real file (embedded use)
            pass
        return False
