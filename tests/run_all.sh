#!/usr/bin/env bash
# The one test command for skiff: install deps, build (warnings are errors),
# run the Catch2 unit tests, bring up the registry rig, and run the BATS system
# tests as root and then as an unprivileged user.
#
# The last line printed is always "N passed, N failed, N skipped"; the exit
# status is non-zero if any test or any step failed.
#
# Environment:
#   SKIFF_RIG_STATE      rig state dir, wiped at start (default /tmp/skiff-rig)
#   SKIFF_BUILD_DIR      meson build dir (default build)
#   SKIFF_SUITE_TIMEOUT  seconds per BATS suite before it is killed (1800)
#   SKIFF_SKIP_INSTALL   set to 1 to skip tests/rig/install-deps.sh
#   SKIFF_BATS_FILTER    passed to bats --filter (run a subset)
#
# The system tests get SKIFF_BIN, SKIFF_RIG_ENV (tests/rig/registry.sh) and
# SKIFF_SRC_DIR (a readable copy of man/, completions/, docs/, README.md);
# the rootless run also SKIFF_TEST_RESOLVER (tests/rig/test-resolver.sh).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
rig=$repo/tests/rig
state=${SKIFF_RIG_STATE:-/tmp/skiff-rig}
builddir=${SKIFF_BUILD_DIR:-build}
suite_timeout=${SKIFF_SUITE_TIMEOUT:-1800}

passed=0 failed=0 skipped=0
summaries=()
rig_started=0

note() { echo "run_all: $*"; }

# A step (not a test) failed: it counts as one failure.
step_failed() {
    note "STEP FAILED: $1"
    failed=$((failed + 1))
    summaries+=("step '$1': FAILED")
}

# On every exit: stop the registries, then print the summary; the totals
# line must be the very last line of output.
finish() {
    local rc=$?
    trap - EXIT INT TERM
    if ((rig_started)); then
        bash "$rig/registry.sh" stop "$state" >/dev/null 2>&1 || true
    fi
    if ((rc != 0 && failed == 0)); then
        # An unexpected error in this script itself still counts.
        note "run_all.sh exited early (status $rc)"
        failed=1
        summaries+=("run_all.sh: aborted with status $rc")
    fi
    echo
    echo "==================== summary ===================="
    local s
    for s in "${summaries[@]}"; do echo "  $s"; done
    echo "$passed passed, $failed failed, $skipped skipped"
    if ((failed > 0)); then exit 1; fi
    exit 0
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- state dir
case $state in
/ | /tmp | /tmp/ | '' | [!/]*)
    echo "run_all: refusing SKIFF_RIG_STATE='$state' (must be an absolute, dedicated dir)" >&2
    exit 2
    ;;
esac
# Two runs sharing a state dir would wipe each other's registries: take a
# lock.  Child processes get the fd closed ({lock_fd}>&-) so a registry that
# outlives a killed run cannot hold the lock.
exec {lock_fd}>"$state.lock"
if ! flock -n "$lock_fd"; then
    echo "run_all: another run is using $state (lock $state.lock); set SKIFF_RIG_STATE" >&2
    exit 2
fi
if [[ -d $state ]]; then
    # Registries of an interrupted earlier run still use it.
    bash "$rig/registry.sh" stop "$state" >/dev/null 2>&1 {lock_fd}>&- || true
    rm -rf --one-file-system "$state"
fi
mkdir -p "$state/logs"
chmod 755 "$state"
logs=$state/logs

# ---------------------------------------------------------------- deps
if [[ ${SKIFF_SKIP_INSTALL:-0} != 1 ]]; then
    note "installing dependencies"
    if ! bash "$rig/install-deps.sh" >"$logs/install-deps.log" 2>&1; then
        tail -n 30 "$logs/install-deps.log"
        step_failed install-deps
    else
        tail -n 1 "$logs/install-deps.log"
    fi
fi

# ---------------------------------------------------------------- build
build() {
    if [[ ! -f $builddir/build.ninja ]]; then
        meson setup "$builddir" -Dwerror=true || return 1
    else
        # An existing dir (a developer's) may lack werror; CI's never does.
        meson configure "$builddir" -Dwerror=true || return 1
    fi
    # -k 0: build every target that can be built, so a broken unit test does
    # not also hide the system test results.
    ninja -C "$builddir" -k 0 || return 1
}
# A binary is usable when its target built: it exists and ninja has no work
# left for it (a stale binary from an earlier build does not count).
target_built() {
    [[ -x $builddir/$1 ]] &&
        [[ $(ninja -C "$builddir" -n "$1" 2>/dev/null) == *"no work to do"* ]]
}
built=0 build_ok=0
note "building in $builddir (meson, -Dwerror=true)"
start=$SECONDS
# In a subshell: were the EXIT trap to run inside a redirected function, the
# summary would land in the log instead of on stdout.
if (build) >"$logs/build.log" 2>&1; then
    built=1 build_ok=1
    note "build ok in $((SECONDS - start))s"
else
    # The compiler's errors are what a reader of the CI log needs.
    echo "---- compiler errors ($logs/build.log):"
    grep -E ': (fatal )?error:|^FAILED:|^meson.build:[0-9]+' "$logs/build.log" | head -n 40 || true
    echo "---- end of build log:"
    tail -n 25 "$logs/build.log"
    step_failed build
    if target_built skiff; then
        built=1
        note "$builddir/skiff did build: running the tests that need only it"
    fi
fi

# ---------------------------------------------------------------- unit tests
# Catch2 v2's xml reporter ends with <OverallResultsCases successes= failures=>,
# which counts test cases (junit's "tests" counts assertions instead).
run_unit() {
    local unit=$builddir/skiff-unit xml=$logs/unit.xml rc=0 counts p f
    # After a failed build, only a skiff-unit that did build may run (sources
    # edited during a successful build must not skip the unit tests).
    if [[ ! -x $unit ]] || { ((!build_ok)) && ! target_built skiff-unit; }; then
        # Already counted when the build failed; say why nothing ran.
        if [[ -x $unit ]]; then
            note "not running a stale $unit"
        else
            step_failed "unit tests ($unit missing)"
        fi
        return
    fi
    note "running $unit"
    timeout -k 10 900 "$unit" -r xml -o "$xml" >"$logs/unit.out" 2>&1 || rc=$?
    counts=$(python3 - "$xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception as e:  # crashed binary: truncated or missing xml
    print("0 0 unreadable-xml")
    sys.exit()
cases = root.find(".//OverallResultsCases")
if cases is None:
    print("0 0 no-OverallResultsCases")
    sys.exit()
print(cases.get("successes", "0"), cases.get("failures", "0"), "ok")
for tc in root.iter("TestCase"):
    res = tc.find("OverallResult")
    if res is not None and res.get("success") == "false":
        print("FAILED", tc.get("name"), f"({tc.get('filename')}:{tc.get('line')})",
              file=sys.stderr)
        for ex in tc.iter("Expression"):
            if ex.get("success") == "false":
                orig = (ex.findtext("Original") or "").strip()
                got = (ex.findtext("Expanded") or "").strip()
                print(f"    {ex.get('filename')}:{ex.get('line')}: {orig}  with  {got}",
                      file=sys.stderr)
EOF
    )
    read -r p f _ <<<"$counts"
    if ((rc != 0 && f == 0)); then
        # Exit status says failure but no case failed: a crash or a bad flag.
        echo "skiff-unit exited $rc; output:"
        tail -n 30 "$logs/unit.out"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    summaries+=("unit (Catch2): $p passed, $f failed")
    note "unit: $p passed, $f failed"
    ((p + f > 0)) || note "WARNING: skiff-unit ran no test case"
}
if ((built)); then
    run_unit
fi

# ---------------------------------------------------------------- rig
rig_ok=0 test_uid=''
if ((built)); then
    note "starting registries and pushing fixtures in $state"
    rig_started=1
    if bash "$rig/registry.sh" start "$state" >"$logs/rig.log" 2>&1 {lock_fd}>&-; then
        rig_ok=1
        cat "$logs/rig.log"
    else
        tail -n 40 "$logs/rig.log"
        step_failed "rig (registries/fixtures)"
    fi
    if user_env=$(bash "$rig/testuser.sh" 2>"$logs/testuser.log"); then
        test_user=$(sed -n 's/^SKIFF_TEST_USER=//p' <<<"$user_env")
        test_uid=$(sed -n 's/^SKIFF_TEST_UID=//p' <<<"$user_env")
        note "rootless test user $test_user uid $test_uid"
        # /run/user/UID is on disk here and survives runs: start the dedicated
        # test user from an empty skiff runtime dir, as after a real reboot.
        rm -rf --one-file-system "/run/user/$test_uid/skiff"
    else
        cat "$logs/testuser.log"
        step_failed "test user"
    fi
fi

# ---------------------------------------------------------------- system tests
# The repo may live under /root (mode 700): the test user could not read the
# binary or the .bats files there, so both run from a world-readable copy.
suite=$state/suite
if ((built && rig_ok)); then
    mkdir -p "$suite/bin" "$suite/tests"
    install -m 755 "$builddir/skiff" "$suite/bin/skiff"
    # The monitor of detached containers is found next to the binary.
    if [[ -x $builddir/skiff-monitor ]]; then
        install -m 755 "$builddir/skiff-monitor" "$suite/bin/skiff-monitor"
    fi
    cp -r tests/system tests/rig "$suite/tests/"
    # Tests that check docs against the binary read the source tree through
    # SKIFF_SRC_DIR: give them a readable copy of the parts they need.
    mkdir -p "$suite/src"
    for d in man completions docs README.md; do
        if [[ -e $d ]]; then cp -r "$d" "$suite/src/"; fi
    done
    chmod -R a+rX "$suite"
fi

# count_tap NAME FILE RC: add a TAP log's results to the totals.
count_tap() {
    local name=$1 file=$2 rc=$3 p f s plan ran
    p=$(grep -E '^ok [0-9]+' "$file" | grep -vc '# skip' || true)
    s=$(grep -E '^ok [0-9]+' "$file" | grep -c '# skip' || true)
    f=$(grep -cE '^not ok [0-9]+' "$file" || true)
    # A suite killed half-way (timeout, crash) ran fewer tests than planned.
    plan=$(sed -n 's/^1\.\.\([0-9]\+\)$/\1/p' "$file" | head -n 1)
    ran=$((p + s + f))
    if [[ -n $plan ]] && ((ran < plan)); then
        note "$name: only $ran of $plan tests reported"
        f=$((f + plan - ran))
    fi
    if ((rc != 0 && f == 0)); then
        note "$name: bats exited $rc without a failing test"
        f=1
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    summaries+=("system ($name): $p passed, $f failed, $s skipped")
    note "system ($name): $p passed, $f failed, $s skipped"
}

bats_args=(--tap)
if [[ -n ${SKIFF_BATS_FILTER:-} ]]; then
    bats_args+=(--filter "$SKIFF_BATS_FILTER")
fi

run_root_suite() {
    local rc=0
    note "system tests as root"
    (cd "$suite" && SKIFF_BIN=$suite/bin/skiff SKIFF_RIG_ENV=$state/rig.env \
        SKIFF_SRC_DIR=$suite/src \
        timeout -k 30 "$suite_timeout" bats "${bats_args[@]}" tests/system) 2>&1 |
        tee "$logs/system-root.tap" || rc=$?
    count_tap root "$logs/system-root.tap" "$rc"
}

run_rootless_suite() {
    local rc=0 home resolver='' wrap=()
    home=$(getent passwd "$test_user" | cut -d: -f6)
    note "system tests as $test_user (rootless)"
    # The DNS test's resolver on the host's loopback, and /etc/resolv.conf
    # naming it in a mount namespace of this run only (tests/rig/test-resolver.sh).
    # Without it the test skips, so a resolver that does not start fails the run here.
    if resolver=$(bash "$rig/test-resolver.sh" start "$state"); then
        wrap=(unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh "$state/resolv.conf")
    else
        step_failed "starting the rootless DNS test's resolver (tests/rig/test-resolver.sh)"
    fi
    # env -i: the rootless run must not inherit root's environment (XDG dirs,
    # credentials, CI variables); only what a login would give, plus ours.
    (cd "$suite" && timeout -k 30 "$suite_timeout" "${wrap[@]}" \
        runuser -u "$test_user" -- env -i \
        HOME="$home" USER="$test_user" LOGNAME="$test_user" SHELL=/bin/bash \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 TERM=dumb TMPDIR=/tmp \
        XDG_RUNTIME_DIR="/run/user/$test_uid" \
        SKIFF_BIN="$suite/bin/skiff" SKIFF_RIG_ENV="$state/rig.env" \
        SKIFF_SRC_DIR="$suite/src" \
        ${SKIFF_TIMEOUT:+SKIFF_TIMEOUT="$SKIFF_TIMEOUT"} \
        ${resolver:+SKIFF_TEST_RESOLVER="$resolver"} \
        bats "${bats_args[@]}" tests/system) 2>&1 |
        tee "$logs/system-rootless.tap" || rc=$?
    bash "$rig/test-resolver.sh" stop "$state" || true
    count_tap rootless "$logs/system-rootless.tap" "$rc"
}

if ((built && rig_ok)); then
    run_root_suite
    if [[ -n $test_uid ]]; then
        run_rootless_suite
    fi
else
    note "system tests not run (build or rig failed)"
fi
# finish (the EXIT trap) prints the summary and sets the exit status.
