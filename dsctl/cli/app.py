"""The root command group, global options and the Application object in ctx.obj."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click

from .. import __version__
from .complete import profile_names


@dataclass
class Application:
    """Global options, shared by every command through `ctx.obj`."""

    verbose: int = 0
    quiet: bool = False
    json: bool = False
    progress: bool | None = None   # None: bars when stderr is a terminal
    debug: bool = False
    profile: str | None = None
    config_dir: str | None = None

    def renderer(self, verb: str = "copied", data_on_stdout: bool = False):
        from .render import Renderer  # rich is imported only by commands that draw

        return Renderer(self, verb, data_on_stdout)

    def show_bars(self) -> bool:
        if self.quiet or self.json:
            return False
        if self.progress is not None:
            return self.progress
        return sys.stderr.isatty()


pass_app = click.make_pass_decorator(Application)


def _set(attr: str, combine=lambda old, new: new, unset=(None, False, 0)):
    """A callback that copies an option given after the command name onto the Application.

    Values in `unset` mean "not given here" and leave the global setting alone."""
    def callback(ctx: click.Context, param, value):
        if value not in unset:
            app = ctx.find_object(Application)
            setattr(app, attr, combine(getattr(app, attr), value))
    return callback


def output_options(f):
    """Let -v/-q/--json/--progress also follow the command name (`dsctl cp -v ...`)."""
    f = click.option("--progress/--no-progress", default=None, expose_value=False,
                     callback=_set("progress", unset=(None,)),
                     help="Force progress bars on or off.")(f)
    f = click.option("--json", "json_", is_flag=True, expose_value=False, callback=_set("json"),
                     help="NDJSON on stdout.")(f)
    f = click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_set("quiet"),
                     help="Print nothing but errors.")(f)
    f = click.option("-v", "--verbose", count=True, expose_value=False,
                     callback=_set("verbose", lambda a, b: a + b), help="One line per file.")(f)
    return f

# command name -> module under dsctl.cli that defines it (as a function of that name).
# Only the module of the command being run is imported: a `cp` never loads the
# profile, artifact or completion commands (several ms of every start-up).
LAZY_COMMANDS = {
    "cp": "transfer_cmds", "upload": "transfer_cmds", "download": "transfer_cmds",
    "sync": "sync_cmds", "check": "sync_cmds",
    "ls": "browse_cmds", "cat": "browse_cmds", "stat": "browse_cmds", "rm": "browse_cmds",
    "profile": "profile_cmds", "artifact": "artifact_cmds", "completion": "completion_cmd",
}


class _LazyGroup(click.Group):
    """click.Group whose subcommands are imported when looked up (click's documented
    lazy-loading pattern); help and completion still list them all."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, name):
        if name not in self.commands and name in LAZY_COMMANDS:
            import importlib

            mod = importlib.import_module(f"{__package__}.{LAZY_COMMANDS[name]}")
            for command in mod.COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        # click's main() turns an EPIPE into exit 1 (even with standalone_mode=False);
        # lift it past click so that main() can end a run whose reader left with 0.
        try:
            return super().invoke(ctx)
        except BrokenPipeError as e:
            raise ReaderGone() from e
        except KeyboardInterrupt as e:   # click would print an empty line first
            raise Stopped() from e


class ReaderGone(Exception):
    """stdout's reader went away (`dsctl cat … | head`)."""


class Stopped(Exception):
    """Ctrl-C or SIGTERM (a KeyboardInterrupt), lifted past click's main()."""


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=_LazyGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="dsctl", message="%(prog)s %(version)s")
@click.option("--profile", envvar="DSCTL_PROFILE", metavar="NAME", help="Profile for bare URLs.",
              shell_complete=profile_names)
@click.option("-v", "--verbose", count=True, help="One line per file; repeat for more.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--json", "json_", is_flag=True, help="NDJSON on stdout: one object per entry or event.")
@click.option("--progress/--no-progress", default=None, help="Force progress bars on or off.")
@click.option("--debug", is_flag=True, envvar="DSCTL_DEBUG", help="Show tracebacks (secrets scrubbed).")
@click.option("--config-dir", envvar="DSCTL_CONFIG_DIR", metavar="DIR", help="Configuration directory.")
@click.pass_context
def cli(ctx, profile, verbose, quiet, json_, progress, debug, config_dir):
    """Move data between any two stores: local paths, memory://, http(s)://,
    s3://, gs://, az:// and any other fsspec protocol.

    \b
    Examples:
      dsctl cp -r ./data/ s3://bucket/data/
      dsctl ls -l gs://bucket/prefix/
      dsctl cat https://example.org/file.csv | head
    """
    from .. import config

    ctx.obj = Application(verbose=verbose, quiet=quiet, json=json_, progress=progress,
                          debug=debug, profile=profile, config_dir=config_dir)
    # Lower layers read the invocation's settings from dsctl.config.current().
    ctx.with_resource(config.use(config.Settings(profile=profile, config_dir=config_dir, debug=debug)))


def register() -> click.Group:
    """The root group with every command reachable (each imported on first use)."""
    return cli
