# -*- bash -*-
#
# Helpers for skiff's BATS system tests.  Each test file starts with
#
#     load helpers
#
# Environment (set by tests/run_all.sh, or by hand):
#   SKIFF_BIN      the skiff binary under test (default: skiff in PATH)
#   SKIFF_RIG_ENV  rig.env written by tests/rig/registry.sh (registries, CA,
#                  credentials, fixture layouts and their digests)
#   SKIFF_TIMEOUT  seconds before a single skiff invocation is killed (120)
#
# Every test file gets its own XDG_DATA_HOME and XDG_CONFIG_HOME under
# BATS_FILE_TMPDIR, so files never share image stores or containers.
# XDG_RUNTIME_DIR is left as the caller gave it.

# shellcheck disable=SC2154  # status/output/lines are set by bats' run
SKIFF_BIN=${SKIFF_BIN:-$(command -v skiff || echo skiff)}
SKIFF_TIMEOUT=${SKIFF_TIMEOUT:-120}

if [[ -n "${SKIFF_RIG_ENV:-}" ]]; then
    if [[ -r "$SKIFF_RIG_ENV" ]]; then
        # shellcheck disable=SC1090
        source "$SKIFF_RIG_ENV"
    else
        echo "# helpers.bash: SKIFF_RIG_ENV=$SKIFF_RIG_ENV is not readable" >&2
    fi
fi

# Default test image: the busybox fixture in the plain-HTTP registry.
SKIFF_TEST_IMAGE=${SKIFF_TEST_IMAGE:-${SKIFF_REG_PLAIN:+$SKIFF_REG_PLAIN/skiff/busybox:latest}}
# shellcheck disable=SC2034  # used by the test files
IMAGE=$SKIFF_TEST_IMAGE

# Per-file state isolation.  Done at load time (not only in setup) so that
# setup_file and files that override setup() get it too.  Note that skiff run
# as root keeps its store in /var/lib/skiff (see docs/DESIGN), which XDG does
# not move; root tests must clean up after themselves.
if [[ -n "${BATS_FILE_TMPDIR:-}" ]]; then
    export XDG_DATA_HOME=$BATS_FILE_TMPDIR/xdg-data
    export XDG_CONFIG_HOME=$BATS_FILE_TMPDIR/xdg-config
    mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
fi

################################################################################
# setup / teardown

basic_setup() {
    : # nothing yet; kept so files can call it from their own setup()
}

# Fail the test if it left skiff processes or mounts behind, after cleaning
# them up so that one leaky test does not make every later one fail.
basic_teardown() {
    local rc=0
    _check_no_leaked_processes || rc=1
    _check_no_leaked_mounts || rc=1
    return $rc
}

setup() { basic_setup; }
teardown() { basic_teardown; }

# Rootless, a file's stores hold files owned by subordinate IDs (images with
# files of uid 1000, say) that bats' own cleanup of BATS_FILE_TMPDIR cannot
# remove: remove them inside the same ID mapping.
remove_file_stores() {
    is_rootless || return 0
    local d
    for d in "$BATS_FILE_TMPDIR/root" "$BATS_FILE_TMPDIR/xdg-data"; do
        if [[ -d $d ]]; then
            unshare --map-root-user --map-auto rm -rf "$d" 2>/dev/null || true
        fi
    done
}
teardown_file() { remove_file_stores; }

# remove_store DIR: the same for a store a test keeps under BATS_TEST_TMPDIR.
remove_store() {
    if is_rootless && [[ -d $1 ]]; then
        unshare --map-root-user --map-auto rm -rf "$1" 2>/dev/null || true
    fi
}

################################################################################
# running skiff

# run_skiff [EXPECTED_EXIT] ARGS...
#
# Runs "$SKIFF_BIN" ARGS with a timeout, setting $status, $output and $lines
# like bats' run.  EXPECTED_EXIT defaults to 0; '?' accepts any exit code.
# On a mismatch the test fails, showing the command and its output.
run_skiff() {
    local expected_rc=0
    case "${1:-}" in
    '?' | [0-9] | [0-9][0-9] | [0-9][0-9][0-9])
        expected_rc=$1
        shift
        ;;
    esac

    # Printed to stdout: bats shows it only when the test fails.
    echo "\$ skiff $*"
    # timeout --foreground: interactive/tty tests still get signals; -k: a
    # skiff that ignores SIGTERM is killed anyway.
    run timeout --foreground -k 10 "$SKIFF_TIMEOUT" "$SKIFF_BIN" "$@"
    if [[ -n "$output" ]]; then
        echo "$output"
    fi
    if ((status == 124)); then
        die "skiff $* timed out after ${SKIFF_TIMEOUT}s"
        return 1
    fi
    if [[ "$expected_rc" != '?' ]] && ((status != expected_rc)); then
        die "exit code is $status; expected $expected_rc (command: skiff $*)"
        return 1
    fi
    return 0
}

is_rootless() { [[ $(id -u) -ne 0 ]]; }

skip_if_rootless() {
    if is_rootless; then
        skip "${1:-not applicable when rootless}"
    fi
}

skip_if_root() {
    if ! is_rootless; then
        skip "${1:-not applicable when root}"
    fi
}

# Skip unless the rig's registries are configured.
require_rig() {
    if [[ -z "${SKIFF_REG_PLAIN:-}" ]]; then
        skip "no test registry (SKIFF_RIG_ENV not set)"
    fi
}

################################################################################
# assertions

# die MESSAGE: fail the current test with a visible banner.
die() {
    echo "#/vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv" >&2
    echo "#| FAIL: $*" >&2
    echo "#\\^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^" >&2
    false
}

# Show EXPECTED vs ACTUAL (line by line when multi-line) and fail.
_assert_fail() {
    local what=$1 expected=$2 actual=$3 op=$4 line
    {
        echo "#/vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
        echo "#|     FAIL: $what"
        echo "#| expected: $op '$expected'"
        local first=1
        while IFS= read -r line; do
            if ((first)); then
                echo "#|   actual:    '$line'"
                first=0
            else
                echo "#|         >    '$line'"
            fi
        done <<<"$actual"
        echo "#\\^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
    } >&2
    false
}

# assert ACTUAL OP EXPECTED [MESSAGE]
# OP: == != =~ (regex) !~ (no match) =* (contains) !* -eq -ne -lt -le -gt -ge
assert() {
    local actual=$1 op=$2 expected=$3 what=${4:-assertion}
    local ok=0
    case "$op" in
    '==') [[ "$actual" == "$expected" ]] && ok=1 ;;
    '!=') [[ "$actual" != "$expected" ]] && ok=1 ;;
    '=~') [[ "$actual" =~ $expected ]] && ok=1 ;;
    '!~') [[ ! "$actual" =~ $expected ]] && ok=1 ;;
    '=*') [[ "$actual" == *"$expected"* ]] && ok=1 ;;
    '!*') [[ "$actual" != *"$expected"* ]] && ok=1 ;;
    -eq | -ne | -lt | -le | -gt | -ge)
        [[ "$actual" =~ ^-?[0-9]+$ ]] || {
            _assert_fail "$what (not an integer)" "$expected" "$actual" "$op"
            return
        }
        test "$actual" "$op" "$expected" && ok=1
        ;;
    *) die "assert: unknown operator '$op'"; return ;;
    esac
    ((ok)) || _assert_fail "$what" "$expected" "$actual" "$op"
}

assert_equal() { assert "$1" '==' "$2" "${3:-values differ}"; }
assert_match() { assert "$1" '=~' "$2" "${3:-no regex match}"; }
assert_contains() { assert "$1" '=*' "$2" "${3:-substring not found}"; }

################################################################################
# small utilities

random_string() {
    head -c 64 /dev/urandom | tr -dc 'a-z0-9' | head -c "${1:-10}"
}

# wait_for_port HOST PORT [TIMEOUT_SECONDS]: wait until something accepts TCP.
wait_for_port() {
    local host=$1 port=$2 timeout=${3:-10} i
    for ((i = 0; i < timeout * 10; i++)); do
        if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    die "nothing listens on $host:$port after ${timeout}s"
}

# http_get URL EXPECTED [TIMEOUT]: curl URL until its body is EXPECTED (a
# published port is bound on the host before the server inside listens:
# until then a connection is accepted and reset). $output holds the last
# body or curl error; the caller asserts on it.
http_get() {
    local url=$1 expected=$2 timeout=${3:-20} i
    for ((i = 0; i < timeout * 5; i++)); do
        output=$(curl -sS --max-time 10 "$url" 2>&1) || true
        [[ $output == "$expected" ]] && return 0
        sleep 0.2
    done
    return 0
}

# skopeo with the rig's policy (so /etc/containers need not exist) and no
# ambient credentials.
rig_skopeo() {
    skopeo --policy "${SKIFF_SKOPEO_POLICY:-/etc/containers/policy.json}" "$@"
}

################################################################################
# leak checks

# The pids of processes running the skiff binary (by /proc/PID/exe, or by
# argv[0] where exe is not ours to read).  Zombies have an empty cmdline and no
# exe and are skipped: PID 1 here is slow to reap orphans, and a zombie holds
# nothing.  This runs after every test, so it forks twice, not once per process.
_skiff_pids() {
    local bin pid exe argv0 f
    bin=$(readlink -f "$SKIFF_BIN" 2>/dev/null) || return 0
    [[ -n "$bin" ]] || return 0
    local -A found=()
    while read -r pid exe; do
        pid=${pid#/proc/}
        # The binary, and the monitors of detached containers next to it.
        if [[ "$exe" == "$bin" || "$exe" == "$bin (deleted)" || "$exe" == "${bin%/*}/skiff-monitor" ]]; then
            found[$pid]=1
        fi
    done < <(find /proc/[0-9]* -maxdepth 1 -name exe -printf '%h %l\n' 2>/dev/null)
    for f in /proc/[0-9]*/cmdline; do
        argv0=
        { IFS= read -r -d '' argv0 <"$f"; } 2>/dev/null || true
        if [[ -n "$argv0" && ("$argv0" == "$bin" || "$argv0" == "$SKIFF_BIN") ]]; then
            pid=${f#/proc/}
            found[${pid%/cmdline}]=1
        fi
    done
    unset "found[$$]" "found[$BASHPID]"
    for pid in "${!found[@]}"; do echo "$pid"; done
}

_check_no_leaked_processes() {
    local pids i pid
    # Give exiting processes (monitors doing --rm, say) a moment.
    for ((i = 0; i < 30; i++)); do
        pids=$(_skiff_pids)
        [[ -z "$pids" ]] && return 0
        sleep 0.1
    done
    echo "# LEAK: skiff processes still running after the test:" >&2
    for pid in $pids; do
        echo "#   $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" >&2
    done
    # These were started by this test: end them, by pid, so later tests start clean.
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in $(_skiff_pids); do kill -KILL "$pid" 2>/dev/null || true; done
    return 1
}

# Directories under which no mount may survive a test.
_leak_mount_dirs() {
    local d
    for d in "${BATS_TEST_TMPDIR:-}" "${BATS_FILE_TMPDIR:-}" "${XDG_DATA_HOME:-}" \
        ${SKIFF_LEAK_MOUNT_DIRS:-}; do
        [[ -n "$d" ]] && readlink -f "$d"
    done
    if ! is_rootless; then
        echo /var/lib/skiff
        echo /run/skiff
    fi
}

# Mount points (field 5 of mountinfo) under the watched dirs, deepest first.
_leaked_mounts() {
    local dirs
    dirs=$(_leak_mount_dirs | sort -u)
    awk -v dirs="$dirs" '
        BEGIN { n = split(dirs, d, "\n") }
        {
            mp = $5
            gsub(/\\040/, " ", mp)
            for (i = 1; i <= n; i++)
                if (d[i] != "" && (mp == d[i] || index(mp, d[i] "/") == 1)) { print mp; break }
        }' /proc/self/mountinfo | sort -r
}

_check_no_leaked_mounts() {
    local mounts m
    mounts=$(_leaked_mounts)
    [[ -z "$mounts" ]] && return 0
    echo "# LEAK: mounts left behind by the test:" >&2
    while IFS= read -r m; do
        echo "#   $m" >&2
        umount -l "$m" 2>/dev/null || true
    done <<<"$mounts"
    return 1
}

################################################################################
# a store of the test file's own

# --root/--runroot under BATS_FILE_TMPDIR: root's default store would be
# /var/lib/skiff, shared by every file.
store_args() { echo "--root $BATS_FILE_TMPDIR/root --runroot $BATS_FILE_TMPDIR/runroot"; }

# sk [EXPECTED_EXIT] ARGS...: run_skiff with this file's store.
sk() {
    local rc=0
    case "${1:-}" in '?' | [0-9] | [0-9][0-9] | [0-9][0-9][0-9]) rc=$1; shift ;; esac
    # shellcheck disable=SC2046
    run_skiff "$rc" $(store_args) "$@"
}

# prepull IMAGE...: pull into this file's store once (from setup_file), so
# that no test's output has pull progress in it.
prepull() {
    [[ -n "${SKIFF_REG_PLAIN:-}" ]] || return 0
    local i
    for i in "$@"; do
        # shellcheck disable=SC2046
        timeout 120 "$SKIFF_BIN" $(store_args) pull -q "$i" >/dev/null
    done
}
