"""`dsctl completion bash|zsh|fish`: print the shell completion script.

The same scripts are committed under completions/ (scripts/gen-completions
writes them; a test keeps them in sync).
"""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


def script(shell: str) -> str:
    from click.shell_completion import get_completion_class

    from .app import cli

    cls = get_completion_class(shell)
    comp = cls(cli, {}, "dsctl", "_DSCTL_COMPLETE")
    return comp.source()


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell):
    """Print the completion script for SHELL.

    \b
    bash:  eval "$(dsctl completion bash)"      (or copy completions/dsctl.bash)
    zsh:   eval "$(dsctl completion zsh)"
    fish:  dsctl completion fish | source
    """
    click.echo(script(shell), nl=False)


COMMANDS = [completion]
