#!/usr/bin/env bats
#
# Manual pages and shell completions cannot drift from the binary: every
# command has a page that documents every flag, skiff(1) lists every command
# and global flag, the completions are exactly what completions/generate.sh
# makes from this binary, and nothing documents a command or flag that is gone.
#
# Needs the source tree: SKIFF_SRC_DIR (exported by tests/run_all.sh).
# To add a command's docs, see man/README.md.

load helpers

setup() {
    basic_setup
    if [[ -z "${SKIFF_SRC_DIR:-}" ]]; then
        skip "SKIFF_SRC_DIR is not set: it must point at the source tree (man/, completions/)"
    fi
    MAN=$SKIFF_SRC_DIR/man
    COMP=$SKIFF_SRC_DIR/completions
}

# The commands under "Subcommands:" in `skiff [PATH...] --help` (CLI11 format:
# a heading, then "  NAME   description" lines up to a blank line).
subcommands_of() {
    "$SKIFF_BIN" "$@" --help | awk '
        /^Subcommands:/ { on = 1; next }
        on && /^[^ ]/ { on = 0 }
        on && NF == 0 { on = 0 }
        on { sub(/,$/, "", $1); print $1 }'
}

# Every command path, depth first, space-separated words ("image ls").
all_commands() {
    local cmd
    for cmd in $(subcommands_of "$@"); do
        echo "${*:+$* }$cmd"
        # shellcheck disable=SC2086
        all_commands "$@" "$cmd"
    done
}

# The man page source of a command path: "image ls" -> skiff-image-ls.1.scd.
page_of() { echo "$MAN/skiff-${1// /-}.1.scd"; }

# The lines of one "# SECTION" of an scdoc page.
scd_section() {
    awk -v want="# $2" '
        /^# / { on = ($0 == want); next }
        on { print }' "$1"
}

# The long flags a section documents: "*--flag*" in its entry lines (those
# that start with "*-"), one per line, sorted.
scd_long_flags() {
    scd_section "$1" "$2" | grep '^\*-' | grep -o '\*--[A-Za-z0-9][A-Za-z0-9-]*\*' | tr -d '*' | sort -u
}

# The long flags `skiff __complete flags PATH` reports, sorted.
binary_long_flags() {
    # shellcheck disable=SC2086
    "$SKIFF_BIN" __complete -- flags $1 | cut -f1 | grep '^--' | sort -u
}

# Fails with a readable message when the two sorted lists differ.
assert_same_list() {
    local what=$1 expected=$2 actual=$3
    if [[ "$expected" != "$actual" ]]; then
        echo "# $what differ (<: only in the first, >: only in the second):" >&2
        diff <(echo "$expected") <(echo "$actual") | sed 's/^/#   /' >&2
        false
    fi
}

@test "docs: every command has a man page, listed in man/meson.build" {
    local cmd page missing=""
    run all_commands
    [[ -n "$output" ]] || die "no commands found in 'skiff --help'"
    while read -r cmd; do
        page=$(page_of "$cmd")
        [[ -f $page ]] || missing+=" ${page#"$SKIFF_SRC_DIR"/}"
        grep -q "'$(basename "$page" .scd)'" "$MAN/meson.build" ||
            missing+=" (man/meson.build: '$(basename "$page" .scd)')"
    done <<<"$output"
    assert_equal "$missing" "" "man pages missing for commands"
}

@test "docs: each command's man page documents exactly its flags" {
    local cmd page
    while read -r cmd; do
        page=$(page_of "$cmd")
        [[ -f $page ]] || die "no man page $page for 'skiff $cmd'"
        assert_same_list "flags of 'skiff $cmd' and OPTIONS of ${page##*/}" \
            "$(binary_long_flags "$cmd")" "$(scd_long_flags "$page" OPTIONS)"
    done < <(all_commands)
}

@test "docs: skiff(1) documents exactly the global flags" {
    assert_same_list "global flags and GLOBAL OPTIONS of skiff.1.scd" \
        "$(binary_long_flags "")" "$(scd_long_flags "$MAN/skiff.1.scd" 'GLOBAL OPTIONS')"
}

@test "docs: skiff(1) lists exactly the commands" {
    local listed
    # Entries of the COMMANDS section are lines "*NAME*".
    listed=$(scd_section "$MAN/skiff.1.scd" COMMANDS | sed -n 's/^\*\([a-z0-9][a-z0-9-]*\)\*$/\1/p' | sort -u)
    assert_same_list "commands of 'skiff --help' and COMMANDS of skiff.1.scd" \
        "$(subcommands_of | sort -u)" "$listed"
}

@test "docs: no man page for a command that does not exist" {
    local expected actual page
    expected=$(all_commands | while read -r cmd; do basename "$(page_of "$cmd")"; done | sort)
    actual=$(cd "$MAN" && ls skiff-*.1.scd 2>/dev/null | sort)
    assert_same_list "command pages expected and man/skiff-*.1.scd" "$expected" "$actual"
}

@test "docs: man/meson.build builds exactly the pages in man/" {
    local listed present
    listed=$(sed -n "s/^ *'\([^']*\)',\{0,1\}$/\1/p" "$MAN/meson.build" | sort)
    present=$(cd "$MAN" && ls ./*.scd | sed 's|^\./||; s/\.scd$//' | sort)
    assert_same_list "pages in man/meson.build and man/*.scd" "$listed" "$present"
}

@test "docs: man pages render with scdoc" {
    command -v scdoc >/dev/null || skip "scdoc is not installed"
    local f
    for f in "$MAN"/*.scd; do
        scdoc <"$f" >/dev/null || die "scdoc failed on $f"
    done
}

@test "docs: skiff-config.yaml(5) documents exactly the keys and values the parser accepts" {
    local page=$MAN/skiff-config.yaml.5.scd cfg=$BATS_TEST_TMPDIR/config.yaml
    local documented accepted="" top sub key values
    # Entries: "*key.sub*: ..." at the start of a line in KEYS.
    documented=$(scd_section "$page" KEYS | sed -n 's/^\*\([a-z.-]*\)\*:.*/\1/p' | sort)

    # The parser names the keys it knows when it meets one it does not.
    known_keys() { sed -n 's/.*known keys here: \(.*\))$/\1/p' <<<"$1" | tr -d ' ' | tr ',' '\n'; }
    printf 'no-such-key: 1\n' >"$cfg"
    run_skiff 125 --config "$cfg" info
    for top in $(known_keys "$output"); do
        printf '%s:\n  no-such-key: 1\n' "$top" >"$cfg"
        run_skiff 125 --config "$cfg" info
        if [[ $output == *"known keys here"* ]]; then
            for sub in $(known_keys "$output"); do accepted+="$top.$sub"$'\n'; done
        else
            accepted+="$top"$'\n'
        fi
    done
    assert_same_list "config keys of the parser and KEYS of ${page##*/}" \
        "$(sort <<<"${accepted%$'\n'}")" "$documented"

    # For keys documented as "*a* | *b*", the parser lists the same values.
    while read -r key; do
        values=$(scd_section "$page" KEYS | grep "^\*$key\*:" | sed 's/^[^:]*: //' | grep -o '\*[a-z-]*\*' | tr -d '*' | sort)
        [[ $(scd_section "$page" KEYS | grep "^\*$key\*:") == *'|'* ]] || continue
        if [[ $key == *.* ]]; then
            printf '%s:\n  %s: no-such-value\n' "${key%%.*}" "${key#*.}" >"$cfg"
        else
            printf '%s: no-such-value\n' "$key" >"$cfg"
        fi
        run_skiff 125 --config "$cfg" info
        assert_same_list "values of '$key' in the parser and in ${page##*/}" \
            "$(sed -n 's/.*is not one of: //p' <<<"$output" | tr -d ' ' | tr ',' '\n' | sort)" "$values"
    done <<<"$documented"
}

@test "completions: every shell's completion names every command" {
    local f cmd missing=""
    for f in skiff.bash _skiff skiff.fish; do
        [[ -f $COMP/$f ]] || die "missing completions/$f"
        while read -r cmd; do
            grep -qw -- "${cmd##* }" "$COMP/$f" || missing+=" $f:'$cmd'"
        done < <(all_commands)
    done
    assert_equal "$missing" "" "commands missing from completions"
}

@test "completions: generate.sh reproduces the committed files exactly" {
    local out=$BATS_TEST_TMPDIR/completions f
    run bash "$COMP/generate.sh" "$SKIFF_BIN" "$out"
    assert_equal "$status" 0 "generate.sh failed: $output"
    for f in skiff.bash _skiff skiff.fish; do
        if ! diff -u "$COMP/$f" "$out/$f" >"$BATS_TEST_TMPDIR/diff"; then
            sed 's/^/#   /' "$BATS_TEST_TMPDIR/diff" >&2
            die "completions/$f is stale: run 'completions/generate.sh build/skiff' and commit the result"
        fi
    done
}

@test "completions: bash completes commands, flags and flag values" {
    # shellcheck disable=SC1091
    source "$COMP/skiff.bash"
    # comp WORD... : completes the last word, as readline would split it.
    comp() {
        COMP_WORDS=("$SKIFF_BIN" "$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="${COMP_WORDS[*]}"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _skiff
        printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
    }
    local cmd
    for cmd in $(subcommands_of); do
        assert_match " $(comp "") " " $cmd " "bash completes command '$cmd'"
    done
    assert_match "$(comp --log-l)" '^--log-level $'
    assert_equal "$(comp --log-level "")" "debug error info warn "
    assert_equal "$(comp --log-level =)" "debug error info warn "
    assert_match "$(comp version --f)" '^--format $'
    assert_equal "$(comp version --format "")" "json "
}
