_dsctl_completion() {
    local IFS=$'\n'
    local response w gap prefix="" i pos=0 cword=0
    local -a words=()
    for (( i=0; i<${#COMP_WORDS[@]}; i++ )); do
        w=${COMP_WORDS[i]}
        gap=${COMP_LINE:pos}
        gap=${gap%%"$w"*}
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
        prefix=${w%"${w##*:}"}
    fi

    response=$(env COMP_WORDS="${words[*]}" COMP_CWORD=$cword _DSCTL_COMPLETE=bash_complete $1)

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

_dsctl_completion_setup() {
    complete -o nosort -F _dsctl_completion dsctl
}

_dsctl_completion_setup;
