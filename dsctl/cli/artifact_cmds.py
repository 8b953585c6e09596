"""artifact log/get/list/show/tag: parse, call one dsctl.artifacts function, render."""

from __future__ import annotations

import json
import os
import sys

import click

from ..config import configured
from ..redact import scrub
from .app import output_options, pass_app
from .fmt import human

KINDS = ("file", "dir", "dataset", "model", "plot")


def _out(line: str) -> None:
    sys.stdout.write(scrub(line) + "\n")
    sys.stdout.flush()


def _say(app, line: str) -> None:
    if not app.quiet:
        click.echo(scrub(line), err=True)


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for v in values:
        k, sep, val = v.partition("=")
        if not sep or not k.strip():
            raise click.BadParameter(f"{v!r} is not key=value", param_hint=option)
        out[k.strip()] = val
    return out


def _command_line(ctx: click.Context) -> list[str]:
    """The command as typed when run as dsctl; else (embedded) the command path and arguments."""
    argv0 = os.path.basename(sys.argv[0]) if sys.argv else ""
    if argv0 in ("dsctl", "__main__.py", "dsctl.exe"):
        return ["dsctl", *sys.argv[1:]]
    return ctx.command_path.split() + [str(v) for v in ctx.params.values() if isinstance(v, str)]


@click.group("artifact")
@click.option("--artifact-root", envvar="DSCTL_ARTIFACT_ROOT", metavar="URL",
              help="Where artifacts live (any URL; {{project}} expands). Env DSCTL_ARTIFACT_ROOT.")
@click.pass_context
def artifact(ctx, artifact_root):
    """Versioned artifacts addressed as store://<kind>/<project>/<key>[#version][:tag][@uid].

    \b
    Examples:
      dsctl artifact log ./iris.csv store://datasets/demo/iris:prod
      dsctl artifact get store://datasets/demo/iris:prod ./data/
      dsctl artifact list --project demo
    """
    if artifact_root:
        from .. import config

        ctx.with_resource(config.use(config.current()._replace(artifact_root=artifact_root)))


@artifact.command("log")
@click.argument("src")
@click.argument("uri")
@click.option("--kind", type=click.Choice(KINDS), help="What it is (default: from the URI, else file/dir).")
@click.option("--label", multiple=True, metavar="K=V", help="A label (repeatable).")
@click.option("--source", multiple=True, metavar="URI", help="Lineage: an input it was made from (repeatable).")
@click.option("--description", metavar="TEXT", help="Free text stored in the record.")
@click.option("--force", is_flag=True, help="Store a new version even if the content is unchanged.")
@click.option("-j", "--jobs", type=click.IntRange(1, 1024), default=configured("jobs", 32),
              show_default="32, or config.yaml's jobs",
              help="Files uploaded at once.")
@output_options
@pass_app
@click.pass_context
def log_cmd(ctx, app, src, uri, kind, label, source, description, force, jobs):
    """Store SRC (file, directory or URL) as a new version.

    Prints the pinned URI (store://…#<version>@<uid>); identical content
    creates no version unless --force.
    """
    from ..artifacts.store import LogRequest, log
    from ..ops.transfer import outcome

    req = LogRequest(src, uri, kind=kind, labels=_pairs(label, "--label"), sources=list(source),
                     description=description, force=force, command=_command_line(ctx), jobs=jobs)
    with app.renderer("uploaded") as r:
        result = log(req, r)
    for w in result.warnings:
        click.echo(f"dsctl: warning: {w}", err=True)
    if result.summary is not None:
        r.summary(result.summary, " (already stored)")
        outcome(result.summary)
    rec = result.record
    if app.json:
        _out(json.dumps({"event": "logged", "created": result.created, "uri": result.uri, "record": rec}))
    else:
        _out(result.uri)
    if result.created:
        _say(app, f"dsctl: logged version {rec['version']} of {rec['project']}/{rec['key']} "
                  f"({rec['files']} file{'s' if rec['files'] != 1 else ''}, {human(rec['size'])})")
    else:
        _say(app, f"dsctl: unchanged: identical to version {rec['version']}; no new version "
                  f"(use --force to store one anyway)")


@artifact.command("get")
@click.argument("uri")
@click.argument("dest", required=False, metavar="[DEST]")
@click.option("-j", "--jobs", type=click.IntRange(1, 1024), default=configured("jobs", 32),
              show_default="32, or config.yaml's jobs",
              help="Files downloaded at once.")
@output_options
@pass_app
def get_cmd(app, uri, dest, jobs):
    """Fetch a version into DEST, verifying its hash.

    DEST is a path or URL ('-' = stdout; default: the current directory).
    A hash mismatch is exit 6 and leaves nothing behind.
    """
    from ..artifacts.fetch import get

    with app.renderer("copied", data_on_stdout=dest == "-") as r:
        result = get(uri, dest, r, jobs=jobs)
    r.summary(result.summary)   # on stderr, as every transfer's (SPEC section 3)
    if app.verbose:
        _say(app, f"dsctl: got {result.uri}")


@artifact.command("list")
@click.option("--project", metavar="P", help="Only this project.")
@click.option("--key", metavar="K", help="Only this key.")
@click.option("--label", multiple=True, metavar="K=V", help="Only versions with this label (repeatable).")
@click.option("--kind", type=click.Choice(KINDS), help="Only this kind.")
@click.option("--since", metavar="T", help="Created at or after T (ISO date/time, or an age: 7d, 12h).")
@click.option("--tag", metavar="T", help="Only versions that tag T (or 'latest') points at.")
@output_options
@pass_app
def list_cmd(app, project, key, label, kind, since, tag):
    """List versions (a table; one JSON record per line with --json)."""
    from ..artifacts.catalog import ListQuery, list_records

    q = ListQuery(project, key, _pairs(label, "--label"), kind, since, tag)
    rows = []
    for rec in list_records(q):
        if app.json:
            _out(json.dumps(rec))
            continue
        rows.append((rec["project"], rec["key"], str(rec["version"]), rec["kind"], human(rec["size"]),
                     rec["created"][:19].replace("T", " "), ",".join(rec["tags"]) or "-", rec["uid"][:12]))
    if app.json:
        return
    if not rows:
        _say(app, "dsctl: no artifacts found")
        return
    header = ("PROJECT", "KEY", "VERSION", "KIND", "SIZE", "CREATED", "TAGS", "UID")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        _out("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


@artifact.command("show")
@click.argument("uri")
@output_options
@pass_app
def show_cmd(app, uri):
    """Print a version's record (YAML; JSON with --json)."""
    from ..artifacts.catalog import show

    rec = show(uri)
    if app.json:
        _out(json.dumps(rec))
        return
    import yaml

    sys.stdout.write(scrub(yaml.safe_dump(rec, sort_keys=False, allow_unicode=True, width=100)))


@artifact.command("tag")
@click.argument("uri")
@click.argument("tag")
@output_options
@pass_app
def tag_cmd(app, uri, tag):
    """Point TAG at a version.

    Tags are mutable pointers; 'latest' is always the highest version.
    """
    from ..artifacts.catalog import tag as do_tag

    rec = do_tag(uri, tag)
    _out(json.dumps(rec) if app.json else rec["uri"])
    _say(app, f"dsctl: tagged version {rec['version']} of {rec['project']}/{rec['key']} as '{tag}'")


COMMANDS = [artifact]
