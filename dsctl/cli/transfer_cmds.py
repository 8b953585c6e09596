"""cp, upload, download: parse, call dsctl.ops.transfer, render."""

from __future__ import annotations

import click

from ..config import configured
from .app import output_options, pass_app
from .complete import urls
from .fmt import ByteSize

MiB = 1024 * 1024


def _transfer_options(f):
    f = click.option("-j", "--jobs", type=click.IntRange(1, 1024), default=configured("jobs", 32),
                     show_default="32, or config.yaml's jobs", help="Files transferred at once.")(f)
    f = click.option("--part-size", type=ByteSize(), default=configured("part_size", "8MiB"),
                     show_default="8MiB, or config.yaml's part_size",
                     help="Part size for large objects, 5MiB-5GiB (grows to keep under 9,000 parts).")(f)
    f = click.option("--bwlimit", type=ByteSize(), default=None, metavar="RATE",
                     help="Limit the transfer rate to RATE bytes per second, all files together "
                          "(e.g. 10M = 10 MiB/s).")(f)
    return f


def follow_option(f):
    """--no-follow-symlinks, for commands that read local directories."""
    return click.option("--no-follow-symlinks", "no_follow", is_flag=True,
                        help="Skip symlinks in local source directories (default: copy what "
                             "they point to, walking into linked directories).")(f)


def _options(jobs: int, part_size: int, bwlimit: int | None = None, **kw):
    from ..engine.run import TransferOptions

    if part_size < 5 * MiB:
        raise click.BadParameter("must be at least 5MiB (the S3 minimum part size)",
                                 param_hint="--part-size")
    if part_size > 5 * 1024 * MiB:
        raise click.BadParameter("must be at most 5GiB (the S3 maximum part size)",
                                 param_hint="--part-size")
    if bwlimit is not None and bwlimit < 1024:
        raise click.BadParameter("must be at least 1K (bytes per second)", param_hint="--bwlimit")
    return TransferOptions(jobs=jobs, part_size=part_size, bwlimit=bwlimit, **kw)


def _run(app, verb, fn, skip_hint="", data_on_stdout=False):
    from ..ops.transfer import outcome

    with app.renderer(verb, data_on_stdout) as r:
        summary = fn(r)
    r.summary(summary, skip_hint)
    outcome(summary)


@click.command("cp")
@click.argument("paths", nargs=-1, required=True, metavar="SRC... DST", shell_complete=urls)
@click.option("-r", "--recursive", is_flag=True, help="Copy directories (key prefixes).")
@click.option("--include", multiple=True, metavar="GLOB", help="Only copy matching paths (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip matching paths (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would be copied; change nothing.")
@click.option("-n", "--no-clobber", is_flag=True, help="Skip files that exist at the destination.")
@follow_option
@_transfer_options
@output_options
@pass_app
def cp(app, paths, recursive, include, exclude, dry_run, no_clobber, no_follow, jobs, part_size, bwlimit):
    """Copy files between any two stores.

    \b
    SRC/  (trailing slash) copies the contents of SRC into DST;
    SRC   into DST/ or an existing directory creates DST/SRC.
    Use '-' for stdin or stdout.
    """
    from ..ops.transfer import CopyRequest, copy

    if len(paths) < 2:
        raise click.UsageError("cp needs at least one SRC and a DST")
    opts = _options(jobs, part_size, bwlimit, dry_run=dry_run, skip_existing=no_clobber,
                    follow_symlinks=not no_follow)
    req = CopyRequest(list(paths[:-1]), paths[-1], recursive=recursive, include=include,
                      exclude=exclude, options=opts)
    _run(app, "copied", lambda sink: copy(req, sink), " (exist)", data_on_stdout=paths[-1] == "-")


@click.command("upload")
@click.argument("paths", nargs=-1, required=True, metavar="SRC... URL", shell_complete=urls)
@click.option("--overwrite", is_flag=True, help="Replace files that already exist.")
@follow_option
@_transfer_options
@output_options
@pass_app
def upload(app, paths, overwrite, no_follow, jobs, part_size, bwlimit):
    """Upload local files and directories to a store prefix, keeping relative paths.

    Existing destinations are skipped unless --overwrite.
    """
    from ..ops.transfer import upload as do_upload

    if len(paths) < 2:
        raise click.UsageError("upload needs at least one SRC and a URL")
    opts = _options(jobs, part_size, bwlimit, follow_symlinks=not no_follow)
    _run(app, "uploaded", lambda sink: do_upload(list(paths[:-1]), paths[-1], overwrite=overwrite,
                                                  options=opts, sink=sink),
         " (exist; use --overwrite)")


@click.command("download")
@click.argument("url", shell_complete=urls)
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--overwrite", is_flag=True, help="Replace files that already exist.")
@_transfer_options
@output_options
@pass_app
def download(app, url, directory, overwrite, jobs, part_size, bwlimit):
    """Download a store file or prefix into a local directory.

    Existing files are skipped unless --overwrite; keys that would land
    outside DIR are refused.
    """
    from ..ops.transfer import download as do_download

    opts = _options(jobs, part_size, bwlimit)
    _run(app, "downloaded", lambda sink: do_download(url, directory, overwrite=overwrite,
                                                      options=opts, sink=sink),
         " (exist; use --overwrite)")


COMMANDS = [cp, upload, download]
