"""Entry point. `main()` is the only place where errors become exit codes."""

from __future__ import annotations

import os
import signal
import sys

# Nothing more at module level: a Ctrl-C that lands in an import before main() runs
# would be a traceback. errors, redact and click are imported inside main's guard.


def _say(line: str) -> None:
    from ..redact import scrub

    try:
        sys.stderr.write(scrub(line) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _traceback(exc: BaseException) -> None:
    import traceback

    _say("".join(traceback.format_exception(exc)).rstrip())


def _on_sigterm(signum, frame):  # cron/CI cancellations clean up like Ctrl-C
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run dsctl; returns (and, as a script, exits with) the SPEC section 3 code."""
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args or bool(os.environ.get("DSCTL_DEBUG"))
    try:
        code = _run(args, debug)
    except KeyboardInterrupt:   # while still importing (click is ~30 ms): nothing begun
        _say("dsctl: interrupted")
        code = 130   # ExitCode.INTERRUPTED, whose module may be what was being imported
    if argv is None:
        _exit(code)
    return code


def _exit(code: int) -> None:
    """Flush what was printed and end the process without interpreter teardown.

    By now every transfer has ended, every temporary file is renamed or removed and
    the worker pools are joined or idle daemons; all teardown would do is free memory
    the kernel frees anyway and wake idle daemon threads only to stop them. Measured
    (strace, `cp` of a small object): ~10 ms from the last rename to exit_group with
    sys.exit, ~1 ms this way -- on a 70 ms command.
    """
    from ..errors import ExitCode

    try:
        if code != ExitCode.INTERRUPTED:   # else a reader that stopped reading would hold us
            sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass  # the reader went away (`| head`) or stdout is closed: nothing lost
    except OSError as e:  # e.g. a full disk under `> file`: the output is short
        if code == ExitCode.OK:   # else the command already said why it failed
            _say(f"dsctl: error: could not write the output: {e.strerror or e}")
            code = ExitCode.PARTIAL
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(code)


def _run(args, debug: bool) -> int:
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:
        previous = None  # not the main thread (embedded use)
    try:
        from .app import register   # click and the commands: a signal may land meanwhile

        return _dispatch(register(), args, debug)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _reader_gone() -> int:
    """The reader of stdout went away (`dsctl cat … | head`): stop quietly, exit 0,
    as cat and aws s3 cp - do under `set -o pipefail`."""
    try:
        sys.stdout = open(os.devnull, "w")
    except OSError:
        pass
    return 0   # ExitCode.OK


def _dispatch(cli, args, debug: bool) -> int:
    import click

    from ..errors import DsctlError, ExitCode
    from .app import ReaderGone, Stopped

    try:
        cli.main(args=args, prog_name="dsctl", standalone_mode=False)
        return ExitCode.OK
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.exceptions.Abort:
        _say("dsctl: interrupted")
        return ExitCode.INTERRUPTED
    except click.exceptions.NoArgsIsHelpError as e:   # `dsctl`, `dsctl profile`: the help, whole
        _say(e.format_message())
        return ExitCode.USAGE
    except click.ClickException as e:
        hint = f" (see 'dsctl {e.ctx.command_path.partition(' ')[2]} --help')".replace("dsctl  ", "dsctl ") \
            if getattr(e, "ctx", None) is not None else ""
        message = " ".join(e.format_message().split())   # click wraps choices over lines
        _say(f"dsctl: error: {message}{hint}")
        return ExitCode.USAGE
    except DsctlError as e:
        if debug:
            _traceback(e)
        _say(f"dsctl: error: {e}")
        return e.exit_code
    except (KeyboardInterrupt, Stopped):
        from ..engine.localfile import remove_empty_dirs, remove_leftovers

        remove_leftovers()
        remove_empty_dirs()
        _say("dsctl: interrupted")
        return ExitCode.INTERRUPTED
    except (BrokenPipeError, ReaderGone):
        return _reader_gone()
    except Exception as e:  # noqa: BLE001 - last resort: still one line, still typed
        from ..storage.translate import translate

        err = translate(e, None)
        if debug:
            _traceback(e)
        _say(f"dsctl: error: {err}")
        return err.exit_code
