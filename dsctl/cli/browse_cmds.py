"""ls, cat, stat, rm: parse, call dsctl.ops, print."""

from __future__ import annotations

import json
import sys

import click

from ..redact import hide_password
from .app import output_options, pass_app
from .complete import urls
from .fmt import human


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


@click.command("ls")
@click.argument("url", shell_complete=urls)
@click.option("-r", "--recursive", is_flag=True, help="List every file below URL.")
@click.option("-l", "--long", "long_", is_flag=True, help="Add size and modification time.")
@output_options
@pass_app
def ls(app, url, recursive, long_):
    """List entries under URL (directories end with '/')."""
    from ..ops.browse import list_entries

    for e in list_entries(url, recursive=recursive, detail=long_ or app.json):
        # a glob's names are URLs: neither they nor `url` show a user:password@'s password
        name = hide_password(e.name)
        if app.json:
            _out(json.dumps({**e.as_dict(), "name": name, "url": hide_password(e.url)}))
        elif long_:
            size = "-" if e.type == "directory" else str(e.size if e.size is not None else "?")
            _out(f"{size:>14}  {e.modified or '-':<20}  {name}")
        else:
            _out(name)


@click.command("cat")
@click.argument("url", shell_complete=urls)
def cat(url):
    """Write a file's bytes to stdout."""
    from ..ops.browse import cat as do_cat

    do_cat(url)


@click.command("stat")
@click.argument("url", shell_complete=urls)
@output_options
@pass_app
def stat(app, url):
    """Show a file's or directory's metadata."""
    from ..ops.browse import stat as do_stat

    meta = do_stat(url)
    meta["url"] = hide_password(meta["url"])
    if app.json:
        _out(json.dumps(meta))
        return
    for k, v in meta.items():
        if k == "size" and v is not None:
            v = f"{v} ({human(v)})"
        _out(f"{k + ':':<14}{'-' if v is None else v}")


@click.command("rm")
@click.argument("url", shell_complete=urls)
@click.option("-r", "--recursive", is_flag=True, help="Remove everything under URL.")
@click.option("--dry-run", is_flag=True, help="Show what would be removed; change nothing.")
@output_options
@pass_app
def rm(app, url, recursive, dry_run):
    """Remove a file, or with -r everything under a prefix."""
    from ..ops.remove import outcome, remove

    from .render import Deletions

    said = Deletions(app, "removed", "remove", dry_run)
    result = remove(url, recursive=recursive, dry_run=dry_run, on_removed=said.done, on_refused=said.failed)
    if app.json:   # as every transfer's NDJSON ends
        _out(json.dumps({"event": "summary", "removed": len(result.removed),
                         "failed": len(result.refused) + len(result.failed),
                         "dry_run": dry_run}))
    if not app.quiet:
        n = len(result.removed)
        what = "would remove" if dry_run else "removed"
        click.echo(f"dsctl: {what} {n} file{'s' if n != 1 else ''}", err=True)
    outcome(result)


COMMANDS = [ls, cat, stat, rm]
