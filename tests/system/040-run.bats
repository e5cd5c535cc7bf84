#!/usr/bin/env bats
#
# skiff run: exit codes, environment, working directory, users, entrypoint,
# hostname, stdin, --rm, --read-only, isolation of writes, bind mounts,
# tmpfs, --init and signal forwarding, image ownership.  Runs as root and
# rootless; the store (--root/--runroot) lives in BATS_FILE_TMPDIR for both,
# because root's default store (/var/lib/skiff) is not moved by XDG.

load helpers

ML_IMAGE=${SKIFF_REG_PLAIN:+$SKIFF_REG_PLAIN/skiff/multilayer:latest}

setup_file() { prepull "$IMAGE" "$ML_IMAGE"; }

setup() {
    basic_setup
    require_rig
}

containers_dir() { echo "$BATS_FILE_TMPDIR/root/containers"; }
count_containers() { find "$(containers_dir)" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l; }

@test "run: exit codes 0, 7, 125, 126, 127" {
    sk 0 run --rm "$IMAGE" true
    assert_equal "$output" "" "true prints nothing"
    sk 7 run --rm "$IMAGE" sh -c 'exit 7'
    sk 125 run --rm --no-such-flag "$IMAGE" true
    assert_contains "$output" "--no-such-flag"
    sk 125 run --rm --pull=never "$SKIFF_REG_PLAIN/skiff/no-such-image:latest" true
    assert_contains "$output" "no-such-image"
    sk 125 run --rm --pull=sometimes "$IMAGE" true
    # Not executable: 126, as docker and podman.
    sk 126 run --rm "$IMAGE" /etc/passwd
    assert_contains "$output" "/etc/passwd"
    sk 127 run --rm "$IMAGE" no-such-command
    assert_contains "$output" "no-such-command"
    sk 127 run --rm "$IMAGE" /no/such/path
    assert_contains "$output" "/no/such/path"
}

@test "run: -e, -e from the host, --env-file, image env, HOSTNAME" {
    local envfile=$BATS_TEST_TMPDIR/env.list
    printf '%s\n' '# a comment' '' 'FROMFILE=file value' 'SKIFF_T_FILEHOST' >"$envfile"
    export SKIFF_T_HOSTVAR=from-host SKIFF_T_FILEHOST=file-host
    unset SKIFF_T_UNSET
    sk run --rm -e A=1 -e 'B=two words' -e SKIFF_T_HOSTVAR -e SKIFF_T_UNSET \
        --env-file "$envfile" "$IMAGE" env
    local env=$output
    assert_match "$env" $'(^|\n)A=1(\n|$)' "-e A=1"
    assert_match "$env" $'(^|\n)B=two words(\n|$)' "-e with a space"
    assert_match "$env" $'(^|\n)SKIFF_T_HOSTVAR=from-host(\n|$)' "-e KEY takes the host's value"
    assert "$env" '!*' "SKIFF_T_UNSET" "-e KEY unset on the host is left out"
    assert_match "$env" $'(^|\n)FROMFILE=file value(\n|$)' "--env-file KEY=VALUE"
    assert_match "$env" $'(^|\n)SKIFF_T_FILEHOST=file-host(\n|$)' "--env-file KEY"
    assert "$env" '!*' "a comment" "--env-file comment"
    assert_match "$env" $'(^|\n)FIXTURE=busybox(\n|$)' "image Env"
    assert_match "$env" $'(^|\n)PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin(\n|$)' "image PATH"
    assert_match "$env" $'(^|\n)HOSTNAME=[0-9a-f]{12}(\n|$)' "HOSTNAME"
    # The host's environment does not leak in.
    assert "$env" '!*' "SKIFF_RIG_DIR" "host env leaks into the container"

    sk run --rm -e FIXTURE=override "$IMAGE" sh -c 'echo "$FIXTURE"'
    assert_equal "$output" "override" "-e overrides the image's Env"
    sk 125 run --rm --env-file "$BATS_TEST_TMPDIR/missing.env" "$IMAGE" true
    assert_contains "$output" "missing.env"
}

@test "run: -w creates the directory; the image's WorkingDir is the default" {
    sk run --rm "$IMAGE" pwd
    assert_equal "$output" "/" "image WorkingDir"
    sk run --rm -w /etc "$IMAGE" pwd
    assert_equal "$output" "/etc"
    sk run --rm --workdir /newdir/sub "$IMAGE" sh -c 'pwd; test -d /newdir/sub && echo isdir'
    assert_equal "$output" $'/newdir/sub\nisdir'
    sk 125 run --rm -w relative "$IMAGE" pwd
}

@test "run: the default user is root" {
    sk run --rm "$IMAGE" id
    assert_equal "$output" "uid=0(root) gid=0(root)"
}

@test "run: -u NAME, -u UID:GID, -u nobody" {
    sk run --rm "$IMAGE" stat -c '%a' /
    assert_equal "$output" "755" "mode of the container's /"
    sk run --rm -u tester "$IMAGE" id
    assert_match "$output" "^uid=1000\(tester\) gid=1000\(tester\)" "-u tester"
    sk run --rm -u 1000:65534 "$IMAGE" sh -c 'echo $(id -u) $(id -g)'
    assert_equal "$output" "1000 65534" "-u 1000:65534"
    sk run --rm --user nobody "$IMAGE" sh -c 'echo $(id -u) $(id -g)'
    assert_equal "$output" "65534 65534" "-u nobody"
    sk 125 run --rm -u no-such-user "$IMAGE" id
    assert_contains "$output" "no-such-user"
}

@test "run: --entrypoint" {
    sk run --rm --entrypoint echo "$IMAGE" hello world
    assert_equal "$output" "hello world"
    # An --entrypoint resets the image's Cmd (docker's rule): echo prints an empty line.
    sk run --rm --entrypoint /bin/echo "$IMAGE"
    assert_equal "$output" ""
    sk run --rm --entrypoint '' "$IMAGE" echo reset
    assert_equal "$output" "reset"
}

@test "run: --hostname and -h set the name everywhere" {
    local opt
    for opt in --hostname -h; do
        sk run --rm "$opt" box-name "$IMAGE" sh -c 'hostname; cat /etc/hostname; echo "$HOSTNAME"; grep -c box-name /etc/hosts'
        assert_equal "$output" $'box-name\nbox-name\nbox-name\n1' "$opt"
    done
    sk run --rm "$IMAGE" sh -c 'echo "$(hostname) $HOSTNAME"'
    assert_match "$output" '^([0-9a-f]{12}) \1$' "default hostname is the short id"
}

@test "run: -i passes stdin; without -i stdin is empty" {
    sk run --rm -i "$IMAGE" cat <<<"hi"
    assert_equal "$output" "hi"
    sk run --rm --interactive "$IMAGE" wc -l <<<$'a\nb\nc'
    assert_equal "$output" "3"
    sk run --rm "$IMAGE" cat <<<"hi"
    assert_equal "$output" "" "stdin without -i"
}

@test "run: --rm leaves nothing behind, even on failure; without it the container stays" {
    local before
    before=$(count_containers)
    sk run --rm "$IMAGE" true
    sk 3 run --rm "$IMAGE" sh -c 'exit 3'
    sk 127 run --rm "$IMAGE" no-such-command
    assert "$(count_containers)" -eq "$before" "container dirs after --rm"

    sk 3 run "$IMAGE" sh -c 'exit 3'
    assert "$(count_containers)" -eq $((before + 1)) "container dirs without --rm"
    local rec
    rec=$(ls -td "$(containers_dir)"/*/ | head -n 1)
    run jq -r '.State.Status // .State.status' "$rec/container.json"
    assert_equal "$output" "exited" "state of the kept container"
}

@test "run: --read-only refuses writes to /" {
    sk run --rm --read-only "$IMAGE" sh -c 'touch /x 2>&1; echo rc=$?'
    assert_match "$output" "Read-only file system" "touch /x"
    assert_match "$output" "rc=1$"
    sk run --rm --read-only "$IMAGE" sh -c 'touch /etc/x 2>&1; echo rc=$?'
    assert_match "$output" "rc=1$" "touch /etc/x"
    # As podman: --read-only-tmpfs (default true) mounts tmpfs on /tmp, /var/tmp, /run.
    sk run --rm --read-only "$IMAGE" sh -c \
        'touch /tmp/a /var/tmp/b /run/c && echo ok; grep -cE "^tmpfs /(tmp|var/tmp|run) tmpfs" /proc/mounts'
    assert_equal "$output" $'ok\n3' "scratch dirs with --read-only"
    sk run --rm --read-only --read-only-tmpfs=false "$IMAGE" sh -c 'touch /tmp/y 2>&1; echo rc=$?'
    assert_match "$output" "Read-only file system" "/tmp with --read-only-tmpfs=false"
    assert_match "$output" "rc=1$"
    # --read-only-tmpfs alone changes nothing; --tmpfs still adds a writable dir.
    sk run --rm --read-only-tmpfs "$IMAGE" sh -c 'grep -c "^tmpfs /tmp " /proc/mounts; true'
    assert_equal "$output" "0" "tmpfs on /tmp without --read-only"
    sk run --rm --read-only --read-only-tmpfs=false --tmpfs /scratch "$IMAGE" sh -c 'touch /scratch/y && echo ok'
    assert_equal "$output" "ok"
    # The writable default still writes.
    sk run --rm "$IMAGE" sh -c 'touch /x && echo ok'
    assert_equal "$output" "ok"
}

@test "run: containers do not see each other's writes; the image is unchanged" {
    local layers=$BATS_FILE_TMPDIR/root/layers sum_before
    sum_before=$(find "$layers" -printf '%P %s %m %u\n' 2>/dev/null | sort | md5sum)
    sk run --rm "$IMAGE" sh -c 'echo one > /etc/written; rm /etc/group; cat /etc/written'
    assert_equal "$output" "one"
    sk run "$IMAGE" sh -c 'test -e /etc/written && echo SEEN; test -e /etc/group && echo group'
    assert_equal "$output" "group" "second container sees the first one's changes"
    assert "$(find "$layers" -name written 2>/dev/null)" '==' "" "a write landed in a layer"
    assert "$(find "$layers" -printf '%P %s %m %u\n' 2>/dev/null | sort | md5sum)" '==' "$sum_before" \
        "layer dirs changed"
}

@test "run: -v HOST:CTR and :ro; files written by container root belong to the user" {
    local vol=$BATS_TEST_TMPDIR/vol
    mkdir -p "$vol"
    echo from-host >"$vol/hostfile"
    sk run --rm -v "$vol:/vol" "$IMAGE" sh -c 'cat /vol/hostfile; echo from-ctr > /vol/ctrfile'
    assert_equal "$output" "from-host"
    assert_equal "$(cat "$vol/ctrfile")" "from-ctr"
    assert_equal "$(stat -c '%u %g' "$vol/ctrfile")" "$(id -u) $(id -g)" "owner on the host"

    sk run --rm -v "$vol:/vol:ro" "$IMAGE" sh -c 'cat /vol/hostfile; echo x > /vol/new 2>&1; echo rc=$?'
    assert_match "$output" "^from-host"
    assert_match "$output" "Read-only file system"
    assert_match "$output" "rc=1$"
    [[ ! -e "$vol/new" ]] || die ":ro volume was written"

    # A single file, and a host dir that does not exist yet (created, as docker).
    sk run --rm -v "$vol/hostfile:/etc/hostfile:ro" -v "$vol/made:/made" "$IMAGE" \
        sh -c 'cat /etc/hostfile; echo m > /made/m'
    assert_equal "$output" "from-host"
    assert_equal "$(cat "$vol/made/m")" "m"
    # A relative host path is refused ("name:/x" is a named volume: 070-volumes).
    sk 125 run --rm -v ./relative:/x "$IMAGE" true
    assert_contains "$output" "absolute"
}

@test "run: --tmpfs /x:size=1m caps writes at 1 MiB" {
    sk run --rm --tmpfs /x:size=1m "$IMAGE" sh -c \
        'dd if=/dev/zero of=/x/f bs=1024 count=2048 2>&1; echo rc=$?; stat -c %s /x/f'
    assert_match "$output" "No space left on device"
    assert_match "$output" $'rc=1\n1048576$'
    sk run --rm --tmpfs /x "$IMAGE" sh -c 'grep " /x " /proc/mounts'
    assert_match "$output" "^tmpfs /x tmpfs .*nosuid.*nodev.*noexec"
}

@test "run: --init runs an init as PID 1 that reaps zombies" {
    sk run --rm "$IMAGE" sh -c 'echo $$'
    assert_equal "$output" "1" "without --init the command is PID 1"
    # The subshell's sleep is orphaned: PID 1 (the init) must reap it.
    sk run --rm --init "$IMAGE" sh -c \
        'echo pid=$$; (sleep 0.3 &); sleep 1.5; grep -l "^State:.*Z" /proc/[0-9]*/status; echo end'
    assert_match "$output" "^pid=[0-9]+"
    assert "${lines[0]}" '!=' "pid=1" "with --init the command is not PID 1"
    assert_equal "${lines[-1]}" "end"
    assert_equal "${#lines[@]}" 2 "zombies left in the container: ${lines[*]}"
    sk 5 run --rm --init "$IMAGE" sh -c 'exit 5'
}

@test "run: SIGTERM to skiff reaches the container (--init)" {
    # shellcheck disable=SC2046
    "$SKIFF_BIN" $(store_args) run --rm --init "$IMAGE" sleep 1234 >"$BATS_TEST_TMPDIR/out" 2>&1 &
    local pid=$! init='' cmd='' i
    for ((i = 0; i < 100; i++)); do
        # skiff's children: the container's init and, rootless, the network
        # helper; the command is the init's child.
        for init in $(pgrep -P "$pid"); do
            cmd=$(pgrep -P "$init" | head -n 1)
            [[ -n $cmd ]] && break
        done
        [[ -n $cmd ]] && break
        sleep 0.1
    done
    [[ -n $cmd ]] || { kill -KILL "$pid"; wait "$pid"; die "the container's command never started: $(cat "$BATS_TEST_TMPDIR/out")"; }
    local start=$SECONDS
    kill -TERM "$pid"
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        wait "$pid" || true
        die "skiff still runs 10s after SIGTERM"
    fi
    local rc=0
    wait "$pid" || rc=$?
    assert "$rc" -eq 143 "exit status after SIGTERM"
    assert $((SECONDS - start)) -le 3 "seconds to stop"
}

@test "run: image ownership and setuid bits appear as in the image" {
    sk run --rm "$ML_IMAGE" stat -c '%u %g %a %n' /data/owned-root /data/owned-tester \
        /data/owned-nobody /data/tester-dir /data/tester-dir/inside \
        /data/nested/a/b/c/deeper/leaf.txt /usr/local/bin/suid-tool
    assert_equal "$output" "0 0 644 /data/owned-root
1000 1000 644 /data/owned-tester
65534 65534 644 /data/owned-nobody
1000 1000 750 /data/tester-dir
1000 1000 644 /data/tester-dir/inside
1000 1000 644 /data/nested/a/b/c/deeper/leaf.txt
0 0 4755 /usr/local/bin/suid-tool"
    sk run --rm "$ML_IMAGE" sh -c 'ls /data/opaque; test -e /data/to-delete && echo to-delete; cat /data/owned-root'
    assert_equal "$output" $'upper-new\nroot, modified in layer 3'
    # The image's Cmd runs when none is given.
    sk run --rm "$ML_IMAGE"
    assert_contains "$output" "owned-tester"
}

@test "run: --network none has only loopback; --network host sees the host's interfaces" {
    sk run --rm --network none "$IMAGE" ls /sys/class/net
    assert_equal "$output" "lo" "--network none"
    sk run --rm --network=host "$IMAGE" ls /sys/class/net
    assert_equal "$(tr '\n' ' ' <<<"$output")" "$(ls /sys/class/net | tr '\n' ' ')" "--network host"
    sk 125 run --rm --network bogus "$IMAGE" true
    assert_contains "$output" "bogus"
}

@test "run: --preserve-fds passes fd 3; --userns=keep-id (rootless)" {
    echo preserved >"$BATS_TEST_TMPDIR/fd3"
    sk run --rm --preserve-fds 1 "$IMAGE" cat /proc/self/fd/3 3<"$BATS_TEST_TMPDIR/fd3"
    assert_equal "$output" "preserved"
    if is_rootless; then
        sk run --rm --userns=keep-id "$IMAGE" sh -c 'echo $(id -u) $(id -g)'
        assert_equal "$output" "$(id -u) $(id -g)" "--userns=keep-id"
    else
        sk 125 run --rm --userns=keep-id "$IMAGE" true
        assert_contains "$output" "keep-id"
    fi
}
