"""sync and check: parse, call dsctl.ops.sync, render."""

from __future__ import annotations

import json

import click

from .app import output_options, pass_app
from .complete import urls
from .fmt import one_line
from .render import Deletions
from .transfer_cmds import _options, _transfer_options, follow_option


@click.command("sync")
@click.argument("src", shell_complete=urls)
@click.argument("dst", shell_complete=urls)
@click.option("--delete", is_flag=True, help="Remove destination files that SRC does not have.")
@click.option("--checksum", is_flag=True, help="Compare content hashes, not times.")
@click.option("--size-only", is_flag=True, help="Compare sizes only.")
@click.option("--include", multiple=True, metavar="GLOB", help="Only sync matching paths (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Leave matching paths alone on both sides: not copied, not deleted (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@follow_option
@_transfer_options
@output_options
@pass_app
def sync(app, src, dst, delete, checksum, size_only, include, exclude, dry_run, no_follow, jobs,
         part_size, **transfer):
    """Make DST match the contents of SRC; unchanged files are skipped.

    Unchanged means equal size and a destination no older than the source
    (--size-only: equal size; --checksum: equal sha256).
    """
    from ..errors import PartialFailure
    from ..ops.sync import sync as do_sync
    from ..ops.transfer import outcome

    if checksum and size_only:   # SPEC: [--checksum|--size-only], one rule or the other
        raise click.UsageError("--checksum and --size-only cannot be used together")
    mode = "checksum" if checksum else "size" if size_only else None

    opts = _options(jobs, part_size, dry_run=dry_run, follow_symlinks=not no_follow, **transfer)

    with app.renderer("copied") as r:
        said = Deletions(app, "deleted", "delete", dry_run, r)
        result = do_sync(src, dst, delete=delete, mode=mode or "mtime", options=opts, sink=r,
                         on_delete=said.done, on_delete_failed=said.failed, include=include,
                         exclude=exclude)
    r.summary(result.summary, " (unchanged)", {"deleted": len(result.deleted)} if delete else None)
    if result.deleted and not app.quiet:
        what = "would delete" if dry_run else "deleted"
        click.echo(f"dsctl: {what} {len(result.deleted)} file(s) only in the destination", err=True)
    outcome(result.summary)
    if result.delete_failed:
        raise PartialFailure(f"{result.delete_failed} destination file(s) not deleted")


@click.command("check")
@click.argument("src", shell_complete=urls)
@click.argument("dst", shell_complete=urls)
@click.option("-j", "--jobs", type=click.IntRange(1, 1024), default=16, show_default=True,
              help="Files hashed at once.")
@output_options
@pass_app
def check(app, src, dst, jobs):
    """Verify that two trees match by size and sha256 (exit 6 if they differ)."""
    from ..errors import IntegrityError
    from ..ops.sync import check as do_check

    result = do_check(src, dst, jobs)
    for what, rel in result.differences:
        if app.json:
            click.echo(json.dumps({"event": "difference", "what": what, "path": rel}))
        else:
            click.echo(f"{what}: {one_line(rel)}")
    n = len(result.differences)
    if app.json:
        click.echo(json.dumps({"event": "summary", "matched": result.matched, "differences": n}))
    if n:
        raise IntegrityError(f"{n} difference(s), {result.matched} file(s) match")
    if not app.quiet:
        click.echo(f"dsctl: {result.matched} file(s) match", err=True)


COMMANDS = [sync, check]
