#!/usr/bin/env bash
# Generates skiff's shell completions from the binary itself:
#
#     completions/generate.sh BIN [OUTDIR]      (OUTDIR defaults to completions/)
#
# writes OUTDIR/skiff.bash, OUTDIR/_skiff (zsh) and OUTDIR/skiff.fish.
#
# The command tree, each command's flags and which flags take a value all come
# from `BIN __complete`, so they cannot drift from the parser.  What a value
# *is* (a file, a directory, one of some words, a container, an image) is not
# something CLI11 knows: that lives in the two tables below.  The output is
# checked into git, and tests/system/001-docs.bats fails when regenerating it
# changes anything.  After adding or changing a command:
#
#     ninja -C build && completions/generate.sh build/skiff
#
# The output is static (no timestamps, no version), so it is byte-for-byte
# reproducible.  Completion of container and image names is dynamic: the
# scripts run `skiff __complete -- containers|images` at completion time, and
# print nothing if that fails.
set -euo pipefail

################################################################################
# Tables: edit these when a command's flag values or arguments need completing.

# What to complete for the value of a flag that takes one.
# Key: "CMD PATH|FLAG", with "" as the path of skiff itself (global flags) and
# "*" for "any command".  Any one name of the flag (-f or --format) will do.
# Kinds: file, dir, none, containers, images, "words:W1 W2 ...".
# A flag that takes a value and is not listed gets "none" and a note on stderr.
declare -A FLAG_VALUES=(
    ['|--config']=file
    ['|--root']=dir
    ['|--runroot']=dir
    ['|--log-level']='words:error warn info debug'
    ['*|--format']='words:json'
    ['images|--format']='words:table json'
    ['image ls|--format']='words:table json'
    ['history|--format']='words:table json'
    ['image history|--format']='words:table json'
    ['*|--pull']='words:missing always never newer'
    ['*|--network']='words:slirp none host'
    ['*|--name']=none
    ['*|--env-file']=file
    ['*|--volume']=file
    ['*|--workdir']=none
    ['*|--cidfile']=file
    ['*|--authfile']=file
    ['*|--file']=file
    ['*|--output']=file
    ['*|--input']=file
    ['*|--platform']='words:linux/amd64 linux/arm64 linux/arm/v7 linux/386 linux/ppc64le linux/s390x linux/riscv64'
    ['*|--arch']='words:amd64 arm64 arm 386 ppc64le s390x riscv64'
    ['*|--os']='words:linux'
    ['*|--variant']='words:v6 v7 v8'
    ['images|--filter']='words:reference= dangling=true dangling=false'
    ['image ls|--filter']='words:reference= dangling=true dangling=false'
    ['*|--username']=none
    ['*|--password']=none
    ['run|--network']='words:slirp none host'
    ['*|--publish']=none
    ['*|--dns']=none
    ['*|--dns-search']=none
    ['*|--dns-option']=none
    ['*|--add-host']=none
    ['*|--entrypoint']=none
    ['*|--env']=none
    ['*|--user']=none
    ['*|--hostname']=none
    ['*|--label']=none
    ['*|--tmpfs']=none
    ['*|--preserve-fds']=none
    ['*|--cap-add']='words:ALL AUDIT_CONTROL AUDIT_READ AUDIT_WRITE BLOCK_SUSPEND BPF CHECKPOINT_RESTORE CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID IPC_LOCK IPC_OWNER KILL LEASE LINUX_IMMUTABLE MAC_ADMIN MAC_OVERRIDE MKNOD NET_ADMIN NET_BIND_SERVICE NET_BROADCAST NET_RAW PERFMON SETFCAP SETGID SETPCAP SETUID SYS_ADMIN SYS_BOOT SYS_CHROOT SYS_MODULE SYS_NICE SYS_PACCT SYS_PTRACE SYS_RAWIO SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG SYSLOG WAKE_ALARM'
    ['*|--cap-drop']='words:ALL AUDIT_CONTROL AUDIT_READ AUDIT_WRITE BLOCK_SUSPEND BPF CHECKPOINT_RESTORE CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID IPC_LOCK IPC_OWNER KILL LEASE LINUX_IMMUTABLE MAC_ADMIN MAC_OVERRIDE MKNOD NET_ADMIN NET_BIND_SERVICE NET_BROADCAST NET_RAW PERFMON SETFCAP SETGID SETPCAP SETUID SYS_ADMIN SYS_BOOT SYS_CHROOT SYS_MODULE SYS_NICE SYS_PACCT SYS_PTRACE SYS_RAWIO SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG SYSLOG WAKE_ALARM'
    ['*|--security-opt']='words:seccomp=unconfined no-new-privileges'
    ['*|--userns']='words:keep-id host'
    ['*|--restart']='words:no on-failure always unless-stopped'
    ['*|--stop-signal']='words:SIGHUP SIGINT SIGQUIT SIGKILL SIGUSR1 SIGUSR2 SIGTERM SIGCONT SIGSTOP SIGWINCH'
    ['*|--stop-timeout']=none
    ['*|--signal']='words:SIGHUP SIGINT SIGQUIT SIGKILL SIGUSR1 SIGUSR2 SIGTERM SIGCONT SIGSTOP SIGWINCH'
    ['*|--detach-keys']=none
    ['*|--time']=none
    ['*|--type']='words:container image'
    ['*|--tail']=none
    ['*|--since']=none
    ['*|--until']=none
    ['*|--last']=none
    ['ps|--format']='words:table json'
    ['container ls|--format']='words:table json'
    ['ps|--filter']='words:status=created status=running status=paused status=restarting status=exited name= id= ancestor= label= exited='
    ['container ls|--filter']='words:status=created status=running status=paused status=restarting status=exited name= id= ancestor= label= exited='
    ['*|--mount']=none
    ['*|--volumes-from']=containers
    ['*|--opt']=none
    ['volume ls|--format']='words:table json'
    ['volume ls|--filter']='words:name= label= dangling=true dangling=false'
    ['volume prune|--filter']='words:name= label='
)

# What a command's positional arguments are.  Plural: every argument; singular:
# only the first (the rest is a command line, a path, ...).  Kinds: containers,
# images, container, image, files, dirs.  Commands the binary does not (yet)
# have are ignored, so this table can run ahead of the code.
declare -A ARGS=(
    [run]=image [create]=image
    [rmi]=images [tag]=image [push]=image [history]=image [save]=images
    ['image rm']=images ['image tag']=image ['image push']=image
    ['image history']=image ['image inspect']=images ['image save']=images
    [start]=containers [stop]=containers [restart]=containers [rm]=containers
    [kill]=containers [pause]=containers [unpause]=containers [wait]=containers
    [inspect]=images [logs]=container [exec]=container [attach]=container
    [port]=container [top]=container [commit]=container [export]=container
    [cp]=files [build]=dirs [load]=files [import]=files [diff]=container
    ['container start']=containers ['container stop']=containers
    ['container restart']=containers ['container rm']=containers
    ['container kill']=containers ['container inspect']=containers
    ['container wait']=containers ['container logs']=container
    ['container exec']=container ['container attach']=container
    [rename]=container ['container rename']=container ['container top']=container
    ['container pause']=containers ['container unpause']=containers
    ['container create']=image
)

################################################################################

usage() { echo "usage: $0 BIN [OUTDIR]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
BIN=$1
OUT=${2:-$(cd "$(dirname "$0")" && pwd)}
[[ -x $BIN ]] || { echo "$0: $BIN is not an executable" >&2; exit 1; }

# Always pass "--": without it CLI11 may read a word like "version" as the
# command of that name instead of as an argument of __complete.
complete_helper() { "$BIN" __complete -- "$@"; }

# The command tree, depth first: every path ("" for skiff itself).
PATHS=()
declare -A SUBCMDS=()   # path -> "name<TAB>description" lines
declare -A FLAGLINES=() # path -> "names<TAB>kind<TAB>description" lines, one per option

walk() {
    local path=$1 subs name desc
    PATHS+=("$path")
    # shellcheck disable=SC2086
    subs=$(complete_helper commands $path)
    SUBCMDS[@$path]=$subs
    collect_flags "$path"
    while IFS=$'\t' read -r name desc; do
        [[ -n $name ]] || continue
        walk "${path:+$path }$name"
    done <<<"$subs"
}

# __complete prints one line per flag name, an option's names adjacent and with
# the same description: group them back into options.
collect_flags() {
    local path=$1 raw flag desc names="" last="" kind out=""
    # shellcheck disable=SC2086
    raw=$(complete_helper flags $path)
    flush() {
        [[ -n $names ]] || return 0
        kind=$(value_kind "$path" "$names")
        out+="$names"$'\t'"$kind"$'\t'"$last"$'\n'
    }
    while IFS=$'\t' read -r flag desc; do
        [[ -n $flag ]] || continue
        if [[ -n $names && $desc == "$last" ]]; then
            names+=" $flag"
        else
            flush
            names=$flag last=$desc
        fi
    done <<<"$raw"
    flush
    FLAGLINES[@$path]=${out%$'\n'}
}

# value_kind PATH "NAMES..." -> "-" for a flag without a value, else its kind.
value_kind() {
    local path=$1 n first
    first=${2%% *}
    # shellcheck disable=SC2086
    if ! complete_helper takes-value $path "$first" >/dev/null 2>&1; then
        echo -
        return
    fi
    for n in $2; do
        if [[ -v "FLAG_VALUES[$path|$n]" ]]; then echo "${FLAG_VALUES[$path|$n]}"; return; fi
    done
    for n in $2; do
        if [[ -v "FLAG_VALUES[*|$n]" ]]; then echo "${FLAG_VALUES[*|$n]}"; return; fi
    done
    echo "generate.sh: note: 'skiff ${path:+$path }$first' takes a value with no completion (see FLAG_VALUES)" >&2
    echo none
}

# Quoting helpers for the three shells.
sq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }       # sh/bash/zsh '...'
fq() { local s=${1//\\/\\\\}; s=${s//\'/\\\'}; printf "'%s'" "$s"; } # fish '...'
zdesc() { local s=${1//\\/\\\\}; s=${s//:/\\:}; printf '%s' "$s"; }   # zsh _describe name

walk ""

HEADER="GENERATED by completions/generate.sh from 'skiff __complete'. Do not edit:
# change the command in src/cli/ (or the tables in generate.sh) and run
#     completions/generate.sh build/skiff"

################################################################################
# Data, as case statements (bash and zsh share them).

# emit_case_data SHELL: __skiff_subcommands, __skiff_flags, __skiff_flag_kind, __skiff_args
emit_sh_data() {
    local shell=$1 path name desc names kind d n
    echo "# The subcommands of a command path ('' is skiff itself)."
    echo "__skiff_subcommands() {"
    echo "    case \$1 in"
    for path in "${PATHS[@]}"; do
        [[ -n ${SUBCMDS[@$path]} ]] || continue
        if [[ $shell == bash ]]; then
            local list=""
            while IFS=$'\t' read -r name desc; do list+="${list:+ }$name"; done <<<"${SUBCMDS[@$path]}"
            echo "    $(sq "$path")) REPLY=$(sq "$list") ;;"
        else
            printf '    (%s) reply=(' "$(sq "$path")"
            while IFS=$'\t' read -r name desc; do printf '\n        %s' "$(sq "$(zdesc "$name"):$desc")"; done <<<"${SUBCMDS[@$path]}"
            printf '\n    ) ;;\n'
        fi
    done
    if [[ $shell == bash ]]; then echo "    *) REPLY='' ;;"; else echo "    (*) reply=() ;;"; fi
    echo "    esac"
    echo "}"
    echo
    echo "# The flags of a command path."
    echo "__skiff_flags() {"
    echo "    case \$1 in"
    for path in "${PATHS[@]}"; do
        if [[ $shell == bash ]]; then
            local list=""
            while IFS=$'\t' read -r names kind desc; do [[ -n $names ]] && list+="${list:+ }$names"; done <<<"${FLAGLINES[@$path]}"
            echo "    $(sq "$path")) REPLY=$(sq "$list") ;;"
        else
            printf '    (%s) reply=(' "$(sq "$path")"
            while IFS=$'\t' read -r names kind desc; do
                [[ -n $names ]] || continue
                for n in $names; do printf '\n        %s' "$(sq "$(zdesc "$n"):$desc")"; done
            done <<<"${FLAGLINES[@$path]}"
            printf '\n    ) ;;\n'
        fi
    done
    if [[ $shell == bash ]]; then echo "    *) REPLY='' ;;"; else echo "    (*) reply=() ;;"; fi
    echo "    esac"
    echo "}"
    echo
    echo "# __skiff_flag_kind PATH FLAG: fails if FLAG takes no value, else sets"
    echo "# REPLY to what the value is (file, dir, none, containers, images, words:...)."
    echo "__skiff_flag_kind() {"
    echo "    case \"\$1|\$2\" in"
    for path in "${PATHS[@]}"; do
        while IFS=$'\t' read -r names kind desc; do
            [[ -n $names && $kind != - ]] || continue
            local pats=()
            for n in $names; do pats+=("$(sq "$path|$n")"); done
            d=$(IFS='|'; echo "${pats[*]}")
            if [[ $shell == bash ]]; then echo "    $d) REPLY=$(sq "$kind") ;;"; else echo "    ($d) REPLY=$(sq "$kind") ;;"; fi
        done <<<"${FLAGLINES[@$path]}"
    done
    if [[ $shell == bash ]]; then echo "    *) return 1 ;;"; else echo "    (*) return 1 ;;"; fi
    echo "    esac"
    echo "}"
    echo
    echo "# What a command's positional arguments are (none, containers, images,"
    echo "# container, image, files, dirs); singular means the first one only."
    echo "__skiff_args() {"
    echo "    case \$1 in"
    for path in "${PATHS[@]}"; do
        [[ -v "ARGS[$path]" ]] || continue
        if [[ $shell == bash ]]; then echo "    $(sq "$path")) REPLY=${ARGS[$path]} ;;"; else echo "    ($(sq "$path")) REPLY=${ARGS[$path]} ;;"; fi
    done
    if [[ $shell == bash ]]; then echo "    *) REPLY=none ;;"; else echo "    (*) REPLY=none ;;"; fi
    echo "    esac"
    echo "}"
}

################################################################################
# bash

gen_bash() {
    echo "# bash completion for skiff                                -*- shell-script -*-"
    echo "# $HEADER"
    echo
    emit_sh_data bash
    cat <<'EOF'

# Container or image names, from the binary at completion time.  Silent and
# empty when it cannot answer.
__skiff_dynamic() {
    local bin=$1 kind=$2 line
    REPLY=''
    while IFS=$'\t' read -r line _; do
        [[ -n $line ]] && REPLY+="$line "
    done < <("$bin" __complete -- "$kind" 2>/dev/null || true)
}

# __skiff_values KIND PREFIX BIN: appends the candidates for a value to COMPREPLY.
__skiff_values() {
    local kind=$1 cur=$2 bin=$3 plural
    case $kind in
    file | files)
        compopt -o filenames 2>/dev/null
        mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
        ;;
    dir | dirs)
        compopt -o filenames 2>/dev/null
        mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur")
        ;;
    words:*)
        mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W "${kind#words:}" -- "$cur")
        ;;
    container | containers | image | images)
        plural=${kind%s}s
        __skiff_dynamic "$bin" "$plural"
        mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
        ;;
    esac
}

__skiff_is_subcommand() {
    __skiff_subcommands "$1"
    [[ " $REPLY " == *" $2 "* ]]
}

# Does WORD (a flag, or a bundle of short flags such as -it or -fjson) leave
# the next word as its value?  Sets REPLY to the value's kind.
__skiff_wants_value() {
    local cmdpath=$1 w=$2 k
    case $w in
    --*=*) return 1 ;;
    --?* | -?) __skiff_flag_kind "$cmdpath" "$w" ;;
    -??*)
        for ((k = 1; k < ${#w}; k++)); do
            if __skiff_flag_kind "$cmdpath" "-${w:k:1}"; then
                ((k == ${#w} - 1))
                return
            fi
        done
        return 1
        ;;
    *) return 1 ;;
    esac
}

_skiff() {
    local -a words=()
    local cword=-1 j t
    # bash splits "--flag=value" and "image:tag" at COMP_WORDBREAKS; glue the
    # pieces back so that each word is what the user typed.
    for ((j = 0; j < ${#COMP_WORDS[@]}; j++)); do
        t=${COMP_WORDS[j]}
        if ((${#words[@]} > 0)) && [[ $t == [=:] || ${words[-1]} == *[=:] ]] && ((j > 1)); then
            words[-1]+=$t
        else
            words+=("$t")
        fi
        ((j == COMP_CWORD)) && cword=$((${#words[@]} - 1))
    done
    ((cword < 0)) && { words+=(""); cword=$((${#words[@]} - 1)); }

    local bin=${words[0]} cmdpath='' nargs=0 dashdash=0 i w
    [[ $bin == */* || -z $bin ]] || bin=$(type -P "$bin" || echo skiff)
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        if ((dashdash)); then
            ((nargs++))
        elif [[ $w == -- ]]; then
            dashdash=1
        elif [[ $w == -?* ]]; then
            __skiff_wants_value "$cmdpath" "$w" && ((i++))
        elif ((nargs == 0)) && __skiff_is_subcommand "$cmdpath" "$w"; then
            cmdpath=${cmdpath:+$cmdpath }$w
        else
            ((nargs++))
        fi
    done

    local cur=${words[cword]} prev=${words[cword - 1]}
    COMPREPLY=()
    if ((!dashdash)) && ((cword > 1)) && __skiff_wants_value "$cmdpath" "$prev"; then
        __skiff_values "$REPLY" "$cur" "$bin"
    elif ((!dashdash)) && [[ $cur == --*=* ]]; then
        if __skiff_flag_kind "$cmdpath" "${cur%%=*}"; then
            __skiff_values "$REPLY" "${cur#*=}" "$bin"
            COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
        fi
    elif ((!dashdash)) && [[ $cur == -* ]]; then
        __skiff_flags "$cmdpath"
        mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
    else
        if ((nargs == 0 && !dashdash)); then
            __skiff_subcommands "$cmdpath"
            mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
        fi
        __skiff_args "$cmdpath"
        case $REPLY in
        container | image) ((nargs == 0)) && __skiff_values "$REPLY" "$cur" "$bin" ;;
        none) ;;
        *) __skiff_values "$REPLY" "$cur" "$bin" ;;
        esac
    fi

    # Readline replaces only the text after the last COMP_WORDBREAKS character
    # of the word: drop what precedes it from each candidate.
    local pre=${cur%"${cur##*[=:]}"}
    while [[ -n $pre && $COMP_WORDBREAKS != *"${pre: -1}"* ]]; do
        pre=${pre%?}
        pre=${pre%"${pre##*[=:]}"}
    done
    if [[ -n $pre ]]; then
        COMPREPLY=("${COMPREPLY[@]#"$pre"}")
    fi
    return 0
}

complete -F _skiff skiff
EOF
}

################################################################################
# zsh

gen_zsh() {
    echo "#compdef skiff"
    echo "# zsh completion for skiff"
    echo "# $HEADER"
    echo
    emit_sh_data zsh
    cat <<'EOF'

# __skiff_values KIND: adds the candidates for a value (after any compset -P).
__skiff_values() {
    local kind=$1 bin=$2 line
    local -a names
    case $kind in
    (file|files) _files ;;
    (dir|dirs) _files -/ ;;
    (words:*) compadd -- ${=kind#words:} ;;
    (container|containers|image|images)
        for line in "${(@f)$("$bin" __complete -- ${kind%s}s 2>/dev/null)}"; do
            [[ -n $line ]] && names+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
        done
        (( $#names )) && _describe -t ${kind%s}s ${kind%s} names
        ;;
    (none) _message 'value' ;;
    esac
}

# Does WORD (a flag, or a bundle such as -it or -fjson) take the next word as
# its value?  Sets REPLY to the value's kind.
__skiff_wants_value() {
    local cmdpath=$1 w=$2 k
    case $w in
    (--*=*) return 1 ;;
    (--?*|-?) __skiff_flag_kind "$cmdpath" "$w" ;;
    (-??*)
        for (( k = 2; k <= $#w; k++ )); do
            if __skiff_flag_kind "$cmdpath" "-${w[k]}"; then
                (( k == $#w ))
                return
            fi
        done
        return 1
        ;;
    (*) return 1 ;;
    esac
}

_skiff() {
    local REPLY cmdpath='' w bin=${words[1]}
    local -a reply
    integer i nargs=0 dashdash=0
    [[ $bin == */* ]] || bin=${commands[$bin]:-skiff}
    for (( i = 2; i < CURRENT; i++ )); do
        w=${words[i]}
        if (( dashdash )); then
            (( nargs++ ))
        elif [[ $w == -- ]]; then
            dashdash=1
        elif [[ $w == -?* ]]; then
            __skiff_wants_value "$cmdpath" "$w" && (( i++ ))
        elif (( nargs == 0 )) && { __skiff_subcommands "$cmdpath"; (( ${reply[(I)${(b)w}:*]} )) }; then
            cmdpath=${cmdpath:+$cmdpath }$w
        else
            (( nargs++ ))
        fi
    done

    local cur=${words[CURRENT]} prev=${words[CURRENT-1]}
    if (( !dashdash && CURRENT > 2 )) && __skiff_wants_value "$cmdpath" "$prev"; then
        __skiff_values "$REPLY" "$bin"
    elif (( !dashdash )) && [[ $cur == --*=* ]]; then
        if __skiff_flag_kind "$cmdpath" "${cur%%=*}"; then
            compset -P '*='
            __skiff_values "$REPLY" "$bin"
        fi
    elif (( !dashdash )) && [[ $cur == -* ]]; then
        __skiff_flags "$cmdpath"
        _describe -t options 'option' reply
    else
        if (( nargs == 0 && !dashdash )); then
            __skiff_subcommands "$cmdpath"
            (( $#reply )) && _describe -t commands 'command' reply
        fi
        __skiff_args "$cmdpath"
        case $REPLY in
        (container|image) (( nargs == 0 )) && __skiff_values "$REPLY" "$bin" ;;
        (none) ;;
        (*) __skiff_values "$REPLY" "$bin" ;;
        esac
    fi
    return 0
}

if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _skiff "$@"
else
    compdef _skiff skiff
fi
EOF
}

################################################################################
# fish

gen_fish() {
    local path name desc names kind n d
    echo "# fish completion for skiff"
    echo "# $HEADER"
    echo
    echo "# __skiff_flag_kind PATH FLAG: fails if FLAG takes no value, else prints its kind."
    echo "function __skiff_flag_kind --argument-names path flag"
    echo "    switch \"\$path|\$flag\""
    for path in "${PATHS[@]}"; do
        while IFS=$'\t' read -r names kind desc; do
            [[ -n $names && $kind != - ]] || continue
            d=""
            for n in $names; do d+=" $(fq "$path|$n")"; done
            echo "        case$d"
            echo "            echo $(fq "$kind")"
        done <<<"${FLAGLINES[@$path]}"
    done
    echo "        case '*'"
    echo "            return 1"
    echo "    end"
    echo "end"
    echo
    echo "function __skiff_subcommands --argument-names path"
    echo "    switch \"\$path\""
    for path in "${PATHS[@]}"; do
        [[ -n ${SUBCMDS[@$path]} ]] || continue
        d=""
        while IFS=$'\t' read -r name desc; do d+=" $name"; done <<<"${SUBCMDS[@$path]}"
        echo "        case $(fq "$path")"
        # shellcheck disable=SC2028 # a literal \n, for fish
        echo "            printf '%s\n'$d"
    done
    echo "    end"
    echo "end"
    cat <<'EOF'

# Does TOKEN (a flag or a bundle such as -it or -fjson) take the next token?
function __skiff_wants_value --argument-names cmdpath w
    switch $w
        case '--*=*'
            return 1
        case '--?*' '-?'
            __skiff_flag_kind $cmdpath $w >/dev/null
            return
        case '-??*'
            set -l n (string length -- $w)
            for k in (seq 2 $n)
                if __skiff_flag_kind $cmdpath -(string sub -s $k -l 1 -- $w) >/dev/null
                    test $k -eq $n
                    return
                end
            end
    end
    return 1
end

# Prints the command path ('' for skiff itself) and the number of positional
# arguments before the cursor, one per line.
function __skiff_state
    set -l toks (commandline -opc)
    set -e toks[1]
    set -l cmdpath ''
    set -l nargs 0
    set -l dashdash 0
    set -l skip 0
    for w in $toks
        if test $skip -eq 1
            set skip 0
        else if test $dashdash -eq 1
            set nargs (math $nargs + 1)
        else if test "$w" = --
            set dashdash 1
        else if string match -q -- '-?*' $w
            __skiff_wants_value "$cmdpath" $w; and set skip 1
        else if test $nargs -eq 0; and contains -- $w (__skiff_subcommands "$cmdpath")
            set cmdpath (string trim -- "$cmdpath $w")
        else
            set nargs (math $nargs + 1)
        end
    end
    printf '%s\n' "$cmdpath" $nargs
end

# True when the cursor is in command PATH (and, with "first", at its first
# positional argument).
function __skiff_in --argument-names want where
    set -l st (__skiff_state)
    test "$st[1]" = "$want"; or return 1
    test "$where" != first; or test "$st[2]" -eq 0
end

# Container or image names, from the binary at completion time.
function __skiff_dynamic --argument-names kind
    set -l bin (commandline -opc)[1]
    command $bin __complete -- $kind 2>/dev/null
    return 0
end

complete -c skiff -f
EOF
    echo
    for path in "${PATHS[@]}"; do
        echo "# skiff${path:+ $path}"
        while IFS=$'\t' read -r name desc; do
            [[ -n $name ]] || continue
            echo "complete -c skiff -n \"__skiff_in '$path' first\" -a $(fq "$name") -d $(fq "$desc")"
        done <<<"${SUBCMDS[@$path]}"
        while IFS=$'\t' read -r names kind desc; do
            [[ -n $names ]] || continue
            d=""
            for n in $names; do
                if [[ $n == --* ]]; then d+=" -l $(fq "${n#--}")"; else d+=" -s $(fq "${n#-}")"; fi
            done
            case $kind in
            -) ;;
            file) d+=" -r -F" ;;
            dir) d+=" -x -a '(__fish_complete_directories)'" ;;
            words:*) d+=" -x -a $(fq "${kind#words:}")" ;;
            containers | images) d+=" -x -a $(fq "(__skiff_dynamic $kind)")" ;;
            *) d+=" -x" ;;
            esac
            echo "complete -c skiff -n \"__skiff_in '$path'\"$d -d $(fq "$desc")"
        done <<<"${FLAGLINES[@$path]}"
        if [[ -v "ARGS[$path]" ]]; then
            kind=${ARGS[$path]}
            local where="" a
            case $kind in container | image) where=" first" ;; esac
            case $kind in
            files) a="-F" ;;
            dirs) a="-a '(__fish_complete_directories)'" ;;
            *) a="-a $(fq "(__skiff_dynamic ${kind%s}s)")" ;;
            esac
            echo "complete -c skiff -n \"__skiff_in '$path'$where\" $a"
        fi
        echo
    done
}

mkdir -p "$OUT"
gen_bash >"$OUT/skiff.bash.tmp" && mv "$OUT/skiff.bash.tmp" "$OUT/skiff.bash"
gen_zsh >"$OUT/_skiff.tmp" && mv "$OUT/_skiff.tmp" "$OUT/_skiff"
gen_fish >"$OUT/skiff.fish.tmp" && mv "$OUT/skiff.fish.tmp" "$OUT/skiff.fish"
