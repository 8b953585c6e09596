"""Whether a Ctrl-C or SIGTERM has arrived, asked from any thread without a race.

Python runs signal handlers on the main thread only, between bytecodes, so the
engine's `cancel` is set some time after the signal. A worker could meanwhile see
the end of its input and commit: one Ctrl-C hits both ends of `producer | dsctl
cp - s3://b/k`, the producer's exit closes the pipe, and the worker, reading EOF,
stored the truncated stream as the object. The signal itself is known sooner:

* a signal not yet delivered is pending, which `sigpending()` shows to a thread
  that blocks it - file and part workers block SIGINT/SIGTERM (`block_here`), so
  the main thread, where the handlers live, is the one to receive them;
* once delivered, CPython's C-level handler writes the signal's number to the
  wakeup fd (`install`) before any Python code runs.

`arrived()` asks both; the engine asks it (with `cancel`) before it commits.
"""

from __future__ import annotations

import os
import select
import signal
import threading

_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_lock = threading.Lock()
_wake: int | None = None    # read end of the wakeup pipe
_seen = False               # an interrupting signal was read from it


def install() -> None:
    """Have the C-level handler note every signal (main thread only; else a no-op)."""
    global _wake
    if _wake is not None or threading.current_thread() is not threading.main_thread():
        return
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    try:
        signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except ValueError:   # not the main thread of the main interpreter
        os.close(r)
        os.close(w)
        return
    _wake = r


def block_here() -> None:
    """Leave SIGINT/SIGTERM to the main thread (call at a worker thread's start)."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


def arrived() -> bool:
    """Whether SIGINT or SIGTERM was sent to this process (pending or delivered)."""
    global _seen
    with _lock:
        if not _seen and _wake is not None and select.select([_wake], [], [], 0)[0]:
            try:
                while data := os.read(_wake, 512):
                    if any(n in _SIGNALS for n in data):
                        _seen = True
            except BlockingIOError:
                pass
        if _seen:
            return True
    return hasattr(signal, "sigpending") and bool(signal.sigpending() & _SIGNALS)
