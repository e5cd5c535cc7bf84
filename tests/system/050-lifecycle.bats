#!/usr/bin/env bats
#
# Containers without a daemon: run -d and its monitor, ps, logs, exec, stop,
# kill, wait, rm, restart policies, a monitor killed with -9, parallel runs
# and removals, create/start/attach and detaching with ctrl-p ctrl-q.  Runs
# as root and rootless, each file with its own store.

load helpers

setup_file() { prepull "$IMAGE"; }

setup() {
    basic_setup
    require_rig
}

# Every container of this file is removed after each test, so that a failed
# test leaves no monitor behind for the next one.
teardown() {
    local ids
    ids=$("$SKIFF_BIN" $(store_args) ps -aq 2>/dev/null) || true
    # shellcheck disable=SC2086
    [[ -z $ids ]] || "$SKIFF_BIN" $(store_args) rm -f $ids >/dev/null 2>&1 || true
    basic_teardown
}

cdir() { echo "$BATS_FILE_TMPDIR/root/containers/$1"; }
full_id() { "$SKIFF_BIN" $(store_args) inspect --format '{{.Id}}' "$1"; }
state_of() { "$SKIFF_BIN" $(store_args) inspect --format '{{.State.Status}}' "$1"; }

# wait_state NAME STATE [TRIES]: polls every 0.1 s.
wait_state() {
    local i
    for ((i = 0; i < ${3:-50}; i++)); do
        [[ $(state_of "$1") == "$2" ]] && return 0
        sleep 0.1
    done
    die "container $1 is $(state_of "$1"), not $2"
}

@test "run -d: prints the id, ps shows it running, the monitor is small and holds no terminal" {
    sk run -d --name web "$IMAGE" sleep 100
    local id=$output
    assert_match "$id" '^[0-9a-f]{64}$' "run -d prints the full id"
    sk ps --format '{{.ID}} {{.Names}} {{.State}}'
    assert_equal "$output" "${id:0:12} web running"
    sk ps -q --no-trunc
    assert_equal "$output" "$id"
    sk inspect --format '{{.State.Status}} {{.State.Running}} {{.Config.Image}}' web
    assert_equal "$output" "running true $IMAGE"
    local mon
    mon=$(sk_inspect_monitor web)
    [[ -d /proc/$mon ]] || die "the monitor $mon is not running"
    assert_equal "$(basename "$(readlink /proc/"$mon"/exe)")" "skiff-monitor" "the monitor's program"
    # No fd of the monitor is a terminal or the test's pipes; what it holds
    # is /dev/null, its container's directory and log, pipes, sockets and
    # its signalfd (and nothing skiff had open when it started it).
    local fd target cdir
    cdir=$(cdir "$id")
    for fd in /proc/"$mon"/fd/*; do
        target=$(readlink "$fd")
        [[ $target != /dev/pts/* && $target != /dev/tty* ]] || die "monitor holds a terminal: $target"
        case $target in
        /dev/null | "$cdir" | "$cdir"/ctr.log | pipe:* | socket:* | anon_inode:*) ;;
        *) die "monitor holds an unexpected fd $fd -> $target" ;;
        esac
    done
    # An idle monitor sleeps in poll: it uses no CPU.
    sleep 1
    local ticks
    ticks=$(awk '{print $14 + $15}' /proc/"$mon"/stat)
    ((ticks <= 5)) || die "an idle monitor used $ticks clock ticks of CPU in a second"
    local rss
    rss=$(awk '/^VmRSS/ {print $2}' /proc/"$mon"/status)
    echo "# monitor RSS: $rss KiB" >&3
    ((rss < 2048)) || die "monitor RSS $rss KiB"
}

sk_inspect_monitor() { "$SKIFF_BIN" $(store_args) inspect --format '{{.State.MonitorPid}}' "$1"; }

@test "run -d of commands that exit at once: every exit code is recorded" {
    # The container may exit before its monitor is even running.
    local i ids=()
    for i in 1 2 3 4 5 6; do
        sk run -d "$IMAGE" sh -c "exit $((i + 10))"
        ids+=("$output")
    done
    # A monitor that missed the exit would make wait hang: bound it.
    run timeout 60 "$SKIFF_BIN" $(store_args) wait "${ids[@]}"
    assert_equal "$status" 0 "wait's exit status"
    assert_equal "$output" $'11\n12\n13\n14\n15\n16'
    for i in 1 2 3 4 5 6; do
        sk inspect --format '{{.State.Status}} {{.State.ExitCode}}' "${ids[$((i - 1))]}"
        assert_equal "$output" "exited $((i + 10))"
    done
}

@test "logs: order and streams, -t, --tail, --since, -f until the container exits" {
    # Two pipes: the order between streams holds only for writes apart in time.
    sk run -d --name talk "$IMAGE" sh -c 'echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three; printf partial; sleep 1; echo four'
    sk wait talk
    assert_equal "$output" "0"
    run_skiff $(store_args) logs talk
    assert_equal "$output" $'one\ntwo\nthree\npartialfour'
    # stdout and stderr are kept apart.
    run bash -c "'$SKIFF_BIN' $(store_args) logs talk 2>/dev/null"
    assert_equal "$output" $'one\nthree\npartialfour'
    run bash -c "'$SKIFF_BIN' $(store_args) logs talk 2>&1 >/dev/null"
    assert_equal "$output" "two"
    sk logs --tail 1 talk
    assert_equal "$output" "partialfour"
    sk logs -t --tail 1 talk
    assert_match "$output" '^20[0-9-]+T[0-9:.]+Z partialfour$'
    sk logs --since 1h talk
    assert_match "$output" 'one'
    sk logs --since 2099-01-01T00:00:00Z talk
    assert_equal "$output" ""
    sk 125 logs --since yesterday talk
    assert_contains "$output" "invalid time"
    # -f follows new output and ends with the container.
    sk run -d --name follow "$IMAGE" sh -c 'for i in 1 2 3; do echo n$i; sleep 0.3; done'
    sk logs -f follow
    assert_equal "$output" $'n1\nn2\nn3'
    grep -q ' stdout F n1$' "$(cdir "$(full_id follow)")/ctr.log" || die "log is not in k8s-file format"
}

@test "logs of a foreground run: streams kept apart, order kept when they are one file, -t logged" {
    local out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
    # stdout and stderr to different files: two pipes, two streams.
    "$SKIFF_BIN" $(store_args) run --name fg "$IMAGE" sh -c 'echo out1; echo err1 >&2; echo out2; exit 3' >"$out" 2>"$err" \
        && die "the exit code was lost" || assert_equal "$?" "3"
    assert_equal "$(cat "$out")" $'out1\nout2'
    assert_equal "$(cat "$err")" "err1"
    run bash -c "'$SKIFF_BIN' $(store_args) logs fg 2>/dev/null"
    assert_equal "$output" $'out1\nout2'
    run bash -c "'$SKIFF_BIN' $(store_args) logs fg 2>&1 >/dev/null"
    assert_equal "$output" "err1"
    # One file (2>&1): one pipe, the command's order exactly.
    local want="" i
    for i in 1 2 3 4 5 6 7 8; do want+="o$i e$i "; done
    for i in 1 2 3; do
        run bash -c "'$SKIFF_BIN' $(store_args) run --rm '$IMAGE' sh -c 'for i in 1 2 3 4 5 6 7 8; do echo o\$i; echo e\$i >&2; done' 2>&1 | tr '\n' ' '"
        assert_equal "$output" "$want"
    done
    # A reader that goes away ends the command, as a direct pipe would.
    run timeout 30 bash -c "'$SKIFF_BIN' $(store_args) run --rm '$IMAGE' yes 2>/dev/null | head -n 2"
    assert_equal "$status" "0"
    assert_equal "$output" $'y\ny'
    # -t without -i: the pty's output is logged too.
    "$SKIFF_BIN" $(store_args) run --name fgt -t "$IMAGE" echo on-a-tty >/dev/null
    sk logs fgt
    assert_equal "${output%$'\r'}" "on-a-tty" # a terminal's line ends in CR LF
}

@test "exec: runs inside (files, pid namespace), exit codes, -e -w -u, 127" {
    sk run -d --name box "$IMAGE" sh -c 'echo marker >/tmp/inside; exec sleep 100'
    sleep 0.3
    sk exec box cat /tmp/inside
    assert_equal "$output" "marker"
    sk exec box sh -c 'cat /proc/1/cmdline | tr "\0" " "'
    assert_equal "$output" "sleep 100 " "pid 1 is the container's command"
    sk 7 exec box sh -c 'exit 7'
    sk exec -e FOO=bar -w /etc box sh -c 'echo $FOO $(pwd) $HOSTNAME'
    assert_match "$output" '^bar /etc [0-9a-f]{12}$'
    sk exec -u 1000:1000 box id -u
    assert_equal "$output" "1000"
    # Flags after the command are the command's, also through the group.
    sk container exec box sh -c 'printf "%s\n" "$1"' x -e
    assert_equal "$output" "-e"
    sk 127 exec box no-such-command
    sk 125 exec no-such-container true
    # Capabilities as the container's: no CAP_SYS_ADMIN.
    sk exec box sh -c 'grep CapEff /proc/self/status'
    assert_equal "$output" "$(printf 'CapEff:\t00000000800405fb')"
    sk stop -t 0 box
    sk 125 exec box true
    assert_contains "$output" "running"
}

@test "stop: the stop signal, then SIGKILL after the timeout; kill -s delivers the signal" {
    # sh as pid 1 ignores SIGTERM: stop waits -t seconds, then kills.
    sk run -d --name deaf "$IMAGE" sleep 100
    local t0=$SECONDS
    sk stop -t 1 deaf
    assert_equal "$output" "deaf"
    ((SECONDS - t0 <= 4)) || die "stop -t 1 took $((SECONDS - t0)) s"
    sk inspect --format '{{.State.Status}} {{.State.ExitCode}}' deaf
    assert_equal "$output" "exited 137"
    # With a handler, SIGTERM ends it at once with its own code.
    sk run -d --name polite "$IMAGE" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
    sleep 0.3
    t0=$SECONDS
    sk stop -t 20 polite
    ((SECONDS - t0 <= 3)) || die "stop of a container that handles SIGTERM took $((SECONDS - t0)) s"
    sk wait polite
    assert_equal "$output" "42"
    # --stop-signal is used by stop.
    sk run -d --name usr1 --stop-signal USR1 "$IMAGE" sh -c 'trap "exit 10" USR1; while :; do sleep 0.1; done'
    sleep 0.3
    sk stop -t 20 usr1
    sk wait usr1
    assert_equal "$output" "10"
    # kill -s.
    sk run -d --name sig "$IMAGE" sh -c 'trap "echo got-hup" HUP; while :; do sleep 0.1; done'
    sleep 0.3
    sk kill -s HUP sig
    sleep 0.5
    sk logs sig
    assert_equal "$output" "got-hup"
    sk kill sig
    wait_state sig exited
    sk 125 kill sig
    assert_contains "$output" "running"
    sk 125 kill -s NOSUCH sig
    assert_contains "$output" "invalid signal"
}

@test "wait: prints the exit codes of several containers" {
    sk run -d --name w1 "$IMAGE" sh -c 'sleep 0.3; exit 3'
    sk run -d --name w2 "$IMAGE" sh -c 'exit 4'
    sk wait w1 w2
    assert_equal "$output" $'3\n4'
}

@test "rm: refuses a running container without -f; removes files; --rm -d cleans itself up" {
    sk run -d --name busy "$IMAGE" sleep 100
    local id
    id=$(full_id busy)
    sk 125 rm busy
    assert_contains "$output" "running"
    [[ -d $(cdir "$id") ]] || die "refused rm removed the container dir"
    sk rm -f busy
    assert_equal "$output" "busy"
    [[ ! -e $(cdir "$id") ]] || die "rm -f left $(cdir "$id")"
    sk 125 rm busy
    assert_contains "$output" "no container"
    sk run -d --rm --name gone "$IMAGE" sh -c 'sleep 0.3'
    id=$output
    local i
    for ((i = 0; i < 50; i++)); do [[ -e $(cdir "$id") ]] || break; sleep 0.1; done
    [[ ! -e $(cdir "$id") ]] || die "--rm -d left its container"
    sk ps -a -q
    assert_equal "$output" ""
}

@test "restart=on-failure:2 restarts exactly twice; always restarts until stopped" {
    sk run -d --name flaky --restart on-failure:2 "$IMAGE" sh -c 'echo run; exit 3'
    local i
    for ((i = 0; i < 60; i++)); do
        [[ $(state_of flaky) == exited ]] && break
        sleep 0.1
    done
    sleep 1 # a third restart would have happened by now
    sk inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}' flaky
    assert_equal "$output" "exited 3 2"
    sk logs flaky
    assert_equal "$output" $'run\nrun\nrun'
    sk run -d --name again --restart always "$IMAGE" sh -c 'echo tick; sleep 0.2'
    sleep 1.5
    sk stop -t 1 again
    sk inspect --format '{{.State.Status}}' again
    assert_equal "$output" "exited"
    local n
    n=$(sk_logs_count again)
    ((n >= 2)) || die "restart=always ran $n times"
    sleep 1
    assert_equal "$(sk_logs_count again)" "$n" "no restart after stop"
    sk 125 run -d --rm --restart always "$IMAGE" true
    sk 125 run -d --restart sometimes "$IMAGE" true
    assert_contains "$output" "restart policy"
}

sk_logs_count() { "$SKIFF_BIN" $(store_args) logs "$1" | grep -c tick; }

@test "a monitor killed with -9: the container shows exited, nothing is left running" {
    sk run -d --name orphan "$IMAGE" sleep 100
    local mon pid
    mon=$(sk_inspect_monitor orphan)
    pid=$("$SKIFF_BIN" $(store_args) inspect --format '{{.State.Pid}}' orphan)
    kill -9 "$mon"
    sk ps -a --format '{{.Names}} {{.State}}'
    assert_equal "$output" "orphan exited"
    local i
    for ((i = 0; i < 30; i++)); do
        [[ $(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null) =~ ^(Z|X|)$ ]] && break
        sleep 0.1
    done
    [[ $(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null) =~ ^(Z|X|)$ ]] || die "the container process $pid still runs"
    sk rm -f orphan
    sk ps -aq
    assert_equal "$output" ""
}

@test "rootless: containers with the same ID maps share one user namespace and nothing else" {
    skip_if_root "as root, containers have no user namespace"
    sk run -d --network=none --name ua "$IMAGE" sleep 1000
    sk run -d --network=none --name ub "$IMAGE" sleep 1000
    sk run -d --network=none --name uk --userns=keep-id "$IMAGE" sleep 1000
    local pa pb pk ns
    pa=$("$SKIFF_BIN" $(store_args) inspect --format '{{.State.Pid}}' ua)
    pb=$("$SKIFF_BIN" $(store_args) inspect --format '{{.State.Pid}}' ub)
    pk=$("$SKIFF_BIN" $(store_args) inspect --format '{{.State.Pid}}' uk)
    assert_equal "$(readlink /proc/$pb/ns/user)" "$(readlink /proc/$pa/ns/user)" "ub joined ua's user namespace"
    for ns in mnt pid net ipc uts; do
        [[ $(readlink /proc/$pa/ns/$ns) != $(readlink /proc/$pb/ns/$ns) ]] || die "ua and ub share the $ns namespace"
    done
    [[ $(readlink /proc/$pk/ns/user) != $(readlink /proc/$pa/ns/user) ]] || die "keep-id (other maps) joined it"
    [[ $(readlink /proc/$pa/ns/user) != $(readlink /proc/self/ns/user) ]] || die "a container runs in skiff's own"
    assert_equal "$(cat /proc/$pb/uid_map)" "$(cat /proc/$pa/uid_map)"
    # Only the container joined it: its monitor (and so the __start of a
    # restart and the final __cleanup) stays in skiff's own.
    local mon
    mon=$(sk_inspect_monitor ub)
    assert_equal "$(readlink /proc/$mon/ns/user)" "$(readlink /proc/self/ns/user)" "ub's monitor's user namespace"
    # Neither sees the other's processes or files.
    sk exec ua sh -c 'echo a > /only-a; ps -o args | grep -c "^sleep 1000"'
    assert_equal "$output" "1"
    sk exec ub sh -c 'test -e /only-a && echo leaked; ps -o args | grep -c "^sleep 1000"'
    assert_equal "$output" "1"
    # The recorded container gone, the next one starts all the same.
    sk rm -f ua
    sk run -d --network=none --name uc "$IMAGE" sleep 1000
    assert_equal "$(state_of uc)" "running"
    sk exec uc true
}

@test "20 parallel run -d, then 20 parallel rm -f" {
    local i pids=()
    for ((i = 0; i < 20; i++)); do
        "$SKIFF_BIN" $(store_args) run -d --name "par$i" "$IMAGE" sleep 100 >"$BATS_TEST_TMPDIR/run$i" 2>&1 &
        pids+=($!)
    done
    local failed=0
    for i in "${!pids[@]}"; do wait "${pids[$i]}" || { failed=1; cat "$BATS_TEST_TMPDIR/run$i"; }; done
    ((failed == 0)) || die "a parallel run -d failed"
    sk ps -q
    assert_equal "$(wc -l <<<"$output")" "20" "running containers"
    pids=()
    for ((i = 0; i < 20; i++)); do
        "$SKIFF_BIN" $(store_args) rm -f "par$i" >"$BATS_TEST_TMPDIR/rm$i" 2>&1 &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do wait "${pids[$i]}" || { failed=1; cat "$BATS_TEST_TMPDIR/rm$i"; }; done
    ((failed == 0)) || die "a parallel rm -f failed"
    sk ps -aq
    assert_equal "$output" ""
    local left
    left=$(find "$BATS_FILE_TMPDIR/root/containers" -mindepth 1 -maxdepth 1 -type d -regextype egrep -regex '.*/[0-9a-f]{64}' | wc -l)
    assert_equal "$left" "0" "container dirs left"
}

@test "create, start, start -a, rename, names, prune, top" {
    sk create --name made "$IMAGE" sh -c 'echo started'
    local id=$output
    sk ps -a --format '{{.Names}} {{.State}}'
    assert_equal "$output" "made created"
    sk 125 create --name made "$IMAGE" true
    assert_contains "$output" "already in use by $id"
    sk 125 create --name 'bad/name' "$IMAGE" true
    sk start -a made
    assert_equal "$output" "started"
    sk rename made renamed
    # The old name is free again, the new one is taken.
    sk create --name made "$IMAGE" true
    sk container rm made
    sk 125 create --name renamed "$IMAGE" true
    assert_contains "$output" "already in use by $id"
    sk start renamed
    assert_equal "$output" "renamed"
    sk wait renamed
    sk logs renamed
    assert_equal "$output" $'started\nstarted'
    sk run -d --name topme "$IMAGE" sleep 100
    sk top topme
    assert_match "$output" $'^UID +PID +PPID +COMMAND\n0 +1 +0 +sleep 100$'
    sk container prune -f
    assert_equal "$output" "$id"
    sk container ls -a --format '{{.Names}}'
    assert_equal "$output" "topme"
}

# Lines in the container's log so far.
log_lines() {
    # shellcheck disable=SC2046
    "$SKIFF_BIN" $(store_args) logs "$1" | wc -l
}

@test "pause: freezes every process, exec refused, unpause resumes; rm -f of a paused container" {
    if is_rootless; then
        sk run -d --name nopause "$IMAGE" sleep 100
        sk 125 pause nopause
        assert_contains "$output" "no cgroup is delegated to you"
        sk ps --format '{{.Names}} {{.State}}'
        assert_equal "$output" "nopause running"
        sk rm -f nopause
        return 0
    fi
    [[ -w /sys/fs/cgroup/freezer || -w /sys/fs/cgroup/cgroup.controllers ]] || skip "no cgroup freezer on this host"
    sk run -d --name ticker "$IMAGE" sh -c 'while :; do echo tick; sleep 0.05; done'
    local id=$output a b a2 b2 i
    # An exec'd process is frozen with the rest.
    sk exec -d ticker sh -c 'while :; do echo x >> /tmp/execd; sleep 0.05; done'
    sleep 0.3
    sk pause ticker
    assert_equal "$output" "ticker"
    sk ps --format '{{.Names}} {{.State}} {{.Status}}'
    assert_match "$output" "^ticker paused Up .* \\(Paused\\)$"
    sk inspect --format '{{.State.Status}} {{.State.Running}} {{.State.Paused}}' ticker
    assert_equal "$output" "paused true true"
    sk 125 pause ticker
    assert_contains "$output" "already paused"
    sk 125 exec ticker true
    assert_contains "$output" "paused"
    a=$(log_lines ticker)
    # shellcheck disable=SC2046
    a2=$("$SKIFF_BIN" $(store_args) cp ticker:/tmp/execd - | wc -c)
    sleep 0.5
    b=$(log_lines ticker)
    assert_equal "$b" "$a" "the log grew while paused"
    # shellcheck disable=SC2046
    b2=$("$SKIFF_BIN" $(store_args) cp ticker:/tmp/execd - | wc -c)
    assert_equal "$b2" "$a2" "the exec'd process ran while paused"
    grep -q . "/sys/fs/cgroup/freezer/skiff/$id/cgroup.procs" 2>/dev/null ||
        grep -q . "/sys/fs/cgroup/skiff/$id/cgroup.procs" || die "no freezer cgroup for $id"
    sk unpause ticker
    assert_equal "$output" "ticker"
    sk 125 unpause ticker
    assert_contains "$output" "can only unpause paused containers"
    for i in $(seq 50); do
        b=$(log_lines ticker)
        ((b > a)) && break
        sleep 0.1
    done
    ((b > a)) || die "the log did not grow after unpause"
    sk inspect --format '{{.State.Status}}' ticker
    assert_equal "$output" "running"
    # Paused again, rm -f still ends it, and its cgroup goes with it.
    sk pause ticker
    sk rm -f ticker
    [[ ! -e /sys/fs/cgroup/freezer/skiff/$id && ! -e /sys/fs/cgroup/skiff/$id ]] || die "the freezer cgroup of $id was left"
    # stop of a paused container too.
    sk run -d --name paused-stop "$IMAGE" sleep 100
    sk pause paused-stop
    sk stop -t 2 paused-stop
    sk inspect --format '{{.State.Status}}' paused-stop
    assert_equal "$output" "exited"
    sk rm paused-stop
}

@test "attach: run -it, detach with ctrl-p ctrl-q, the shell runs on; attach again" {
    command -v python3 >/dev/null || skip "no python3"
    local driver=$BATS_TEST_TMPDIR/attach.py
    cat >"$driver" <<'PY'
import os, pty, sys, time, select
def session(argv, send, timeout=15):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out = b""
    for data in send:
        time.sleep(0.5)
        os.write(fd, data)
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        else:
            p, st = os.waitpid(pid, os.WNOHANG)
            if p == pid:
                return os.waitstatus_to_exitcode(st), out
    p, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st), out
image, sk = sys.argv[1], sys.argv[2:]
rc, out = session(sk + ["run", "-it", "--name", "shell", image, "sh"], [b"echo first-$((40+2))\n", b"\x10\x11"])
print("detach rc", rc, "saw", b"first-42" in out)
rc, out = session(sk + ["attach", "shell"], [b"echo second-$((1+1)); exit 5\n"])
print("exit rc", rc, "saw", b"second-2" in out)
PY
    run timeout 60 python3 "$driver" "$IMAGE" "$SKIFF_BIN" $(store_args)
    echo "$output"
    assert_match "$output" 'detach rc 0 saw True'
    assert_match "$output" 'exit rc 5 saw True'
    wait_state shell exited
    # start -ai comes back to the same container.
    sk inspect --format '{{.State.ExitCode}}' shell
    assert_equal "$output" "5"
}
