# bash completion for zctrace                                  -*- shell-script -*-
#
# Installed as share/bash-completion/completions/zctrace (cmake/Packaging.cmake); bash-completion loads it
# the first time zctrace (or `sudo zctrace`) is completed. To try it from a checkout:
#   source /usr/share/bash-completion/bash_completion && source completions/zctrace.bash
#
# The option names come from the --help of the zctrace being completed, so options added later complete
# without a change here; what their arguments complete to is known below. CLI11 prints one option per line:
#   "  -p,--pid TEXT      trace ..."   takes an argument (a type word follows after one space)
#   "  -q,--quiet         no text ..." is a flag
#
# shellcheck disable=SC2207  # COMPREPLY=($(compgen ...)): the bash-completion idiom; candidates have no blanks

# Prints "OPTION ARG?" lines ("--pid 1", "-q 0") for `zctrace [SUBCOMMAND] --help`, or a built-in list when
# the binary cannot be run.
_zctrace_option_table()
{
    local cmd=$1 subcommand=$2 line
    local re='^ +(-([A-Za-z0-9]),)?--([A-Za-z0-9][-A-Za-z0-9]*)( [A-Z][A-Z:]*)?( |$)'
    local found=''
    while IFS= read -r line; do
        [[ $line =~ $re ]] || continue
        found=1
        local takes=0
        [[ ${BASH_REMATCH[4]} ]] && takes=1
        printf -- '--%s %s\n' "${BASH_REMATCH[3]}" $takes
        [[ ${BASH_REMATCH[2]} ]] && printf -- '-%s %s\n' "${BASH_REMATCH[2]}" $takes
    done < <(LC_ALL=C "$cmd" ${subcommand:+"$subcommand"} --help 2>/dev/null)
    [[ $found ]] && return

    # The binary could not tell (not installed yet, not in PATH): the options of zctrace 0.1.0.
    case $subcommand in
        demo)
            printf '%s\n' '--help 0' '-h 0' '--json 1' '--bytes 1' '--chunk 1' '--sinks 1' '--dir 1'
            ;;
        *)
            printf '%s\n' '--help 0' '-h 0' '--pid 1' '-p 1' '--duration 1' '-d 1' '--json 1' \
                '--quiet 0' '-q 0' '--no-children 0' '--no-follow 0' '--cgroup 1' '--comm 1' '--interval 1' '--json-lines 1' '--prometheus 1' \
                '--prometheus-pid-label 0' '--user 1' '-u 1' '--max-processes 1' '--max-paths 1' \
                '--stacks 0' '--folded 1' '--pprof 1' '--self-cost 0' '--version 0' '-V 0'
            [[ $subcommand == check ]] &&
                printf '%s\n' '--max-cpu-copies-per-byte 1' '--min-bytes 1' '--expect 1'
            ;;
    esac
}

# Completes the last item of a comma-separated list: "12,34,5" completes "5" and keeps "12,34,".
# Items already in the list are not offered again.
_zctrace_comma_list()
{
    local cur=$1
    shift
    local prefix='' last=$cur
    if [[ $cur == *,* ]]; then
        prefix=${cur%,*},
        last=${cur##*,}
    fi
    local item candidates=()
    for item in "$@"; do
        [[ ,$prefix == *,$item,* ]] || candidates+=("$item")
    done
    COMPREPLY=($(compgen -P "$prefix" -W "${candidates[*]}" -- "$last"))
}

_zctrace()
{
    local cur prev words cword split
    _init_completion -s -n : || return

    # Everything after "--" is the command zctrace runs: complete it as that command would be.
    local i
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            _command_offset $((i + 1))
            return
        fi
    done

    local subcommand=''
    [[ ${words[1]} == @(demo|check|top) && $cword -gt 1 ]] && subcommand=${words[1]}

    local -A takes_arg=()
    local options=() name takes
    while read -r name takes; do
        options+=("$name")
        takes_arg[$name]=$takes
    done < <(_zctrace_option_table "$1" "$subcommand")

    # The argument of the option before the cursor.
    if [[ $prev == -* && ${takes_arg[$prev]-} == 1 ]]; then
        case $subcommand:$prev in
            *:-p | *:--pid)
                # shellcheck disable=SC2046  # one PID per word
                _zctrace_comma_list "$cur" $(command ps -e -o pid= 2>/dev/null)
                ;;
            *:--json | *:--json-lines | *:--folded | *:--pprof)
                _filedir
                [[ - == "$cur"* ]] && COMPREPLY+=(-)  # '-' is standard output
                ;;
            *:-u | *:--user)
                COMPREPLY=($(compgen -u -- "$cur"))
                ;;
            *:--comm)
                COMPREPLY=($(compgen -W "$(command ps -e -o comm= 2>/dev/null | sort -u)" -- "$cur"))
                ;;
            *:--cgroup)
                # systemd units (the cgroups below the cgroup2 mount are named after them)
                COMPREPLY=($(compgen -W "$(command systemctl list-units --type=service,scope --state=running --plain --no-legend 2>/dev/null | cut -d' ' -f1)" -- "$cur"))
                ;;
            top:--sort)
                COMPREPLY=($(compgen -W 'cpu-copied bytes switches dma' -- "$cur"))
                ;;
            top:--by)
                COMPREPLY=($(compgen -W 'pid comm cgroup' -- "$cur"))
                ;;
            *:--prometheus)
                # [ADDR:]PORT; 127.0.0.1 when no address is given.
                COMPREPLY=($(compgen -W '9435 127.0.0.1:9435' -- "$cur"))
                __ltrim_colon_completions "$cur"
                ;;
            demo:--sinks)
                _zctrace_comma_list "$cur" tcp unix file pipe null
                ;;
            demo:--dir)
                _filedir -d
                ;;
            demo:--bytes)
                COMPREPLY=($(compgen -W '16M 64M 256M 1G' -- "$cur"))
                ;;
            demo:--chunk)
                COMPREPLY=($(compgen -W '4K 64K 1M' -- "$cur"))
                ;;
            check:--expect)
                COMPREPLY=($(compgen -W 'zero-copy read+write mmap+write sendfile splice tee
                    copy_file_range vmsplice ficlone ficlonerange' -- "$cur"))
                ;;
            check:--min-bytes)
                COMPREPLY=($(compgen -W '64K 1M 16M 1G' -- "$cur"))
                ;;
            check:--max-cpu-copies-per-byte)
                COMPREPLY=($(compgen -W '0 1 2' -- "$cur"))
                ;;
        esac
        # Seconds, table sizes and anything new: a value nobody can guess.
        return
    fi
    [[ $split == true ]] && return  # --option=value of an option that takes none

    if [[ $cur == -* ]]; then
        [[ $subcommand != demo ]] && options+=(--)
        COMPREPLY=($(compgen -W "${options[*]}" -- "$cur"))
    elif ((cword == 1)); then
        COMPREPLY=($(compgen -W 'demo check top' -- "$cur"))
    fi
} &&
    complete -F _zctrace zctrace

# ex: filetype=sh
