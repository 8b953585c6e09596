"""`dsctl completion bash|zsh|fish`: print the shell completion script.

The same scripts are committed under completions/ (scripts/gen-completions
writes them; a test keeps them in sync).
"""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


# click's bash script, but bash splits words at ':' (COMP_WORDBREAKS), so `ds://pr<TAB>`
# reached dsctl as `ds`, `:`, `//pr` and nothing completed. The words are joined again
# where COMP_LINE shows no space between them, and each answer is cut to the part after
# the word's last ':', which is all bash replaces.
_BASH = """\
%(complete_func)s() {
    local IFS=$'\\n'
    local response w gap prefix="" i pos=0 cword=0
    local -a words=()
    for (( i=0; i<${#COMP_WORDS[@]}; i++ )); do
        w=${COMP_WORDS[i]}
        gap=${COMP_LINE:pos}
        gap=${gap%%%%"$w"*}
        if (( i > 0 )) && [[ -n $COMP_LINE && -z $gap ]] && [[ $w == :* || ${words[-1]} == *: ]]; then
            words[-1]+=$w
        else
            words+=("$w")
        fi
        pos=$(( pos + ${#gap} + ${#w} ))
        (( i == COMP_CWORD )) && cword=$(( ${#words[@]} - 1 ))
    done
    w=${words[cword]}
    if [[ $w == *:* && $COMP_WORDBREAKS == *:* ]]; then
        prefix=${w%%"${w##*:}"}
    fi

    response=$(env COMP_WORDS="${words[*]}" COMP_CWORD=$cword \
%(complete_var)s=bash_complete $1)

    for completion in $response; do
        IFS=',' read type value <<< "$completion"

        if [[ $type == 'dir' ]]; then
            COMPREPLY=()
            compopt -o dirnames
        elif [[ $type == 'file' ]]; then
            COMPREPLY=()
            compopt -o default
        elif [[ $type == 'plain' ]]; then
            COMPREPLY+=("${value#"$prefix"}")
            # a directory or bucket URL goes on: no space after its '/'
            [[ $value == */ ]] && compopt -o nospace
        fi
    done

    return 0
}

%(complete_func)s_setup() {
    complete -o nosort -F %(complete_func)s %(prog_name)s
}

%(complete_func)s_setup;
"""


def script(shell: str) -> str:
    from click.shell_completion import BashComplete, get_completion_class

    from .app import cli

    cls = get_completion_class(shell)
    if cls is BashComplete:
        cls = type("DsctlBash", (BashComplete,), {"source_template": _BASH})
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
