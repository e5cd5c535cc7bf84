#!/usr/bin/env bats
#
# skiff run: what the container's process sees of its confinement, read from
# /proc inside it with busybox: ID maps, capabilities, seccomp, no_new_privs,
# masked and read-only paths, the pid namespace, fds, and what it may not do.
# Runs as root and rootless, each with its own store in BATS_FILE_TMPDIR.

load helpers

# The default capability set of docker/podman: CHOWN DAC_OVERRIDE FOWNER
# FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT
# MKNOD AUDIT_WRITE SETFCAP (podman drops NET_RAW, MKNOD and AUDIT_WRITE).
DEFAULT_CAPS=00000000800405fb

setup_file() { prepull "$IMAGE"; }

setup() {
    basic_setup
    require_rig
}

# status_field OUTPUT NAME: the value of "NAME:\tVALUE" in a /proc/PID/status dump.
status_field() { sed -n "s/^$2:[[:space:]]*//p" <<<"$1"; }

# The first subordinate range of the current user in FILE: "START COUNT".
subid_range() {
    awk -F: -v u="$(id -un)" -v uid="$(id -u)" '($1 == u || $1 == uid) { print $2, $3; exit }' "$1"
}

@test "security: uid_map and gid_map" {
    sk run --rm "$IMAGE" cat /proc/self/uid_map /proc/self/gid_map
    local maps
    maps=$(awk '{ print $1, $2, $3 }' <<<"$output")
    if is_rootless; then
        local su sg
        su=$(subid_range /etc/subuid)
        sg=$(subid_range /etc/subgid)
        [[ -n $su && -n $sg ]] || skip "no subordinate range for $(id -un)"
        assert_equal "$maps" "0 $(id -u) 1
1 $su
0 $(id -g) 1
1 $sg"
    else
        # Root: no user namespace.
        assert_equal "$maps" $'0 0 4294967295\n0 0 4294967295'
    fi
}

@test "security: default capabilities, seccomp, no_new_privs" {
    sk run --rm "$IMAGE" cat /proc/self/status
    local st=$output
    assert_equal "$(status_field "$st" CapEff)" "$DEFAULT_CAPS" "CapEff"
    assert_equal "$(status_field "$st" CapPrm)" "$DEFAULT_CAPS" "CapPrm"
    assert_equal "$(status_field "$st" CapBnd)" "$DEFAULT_CAPS" "CapBnd"
    assert_equal "$(status_field "$st" CapInh)" "0000000000000000" "CapInh"
    assert_equal "$(status_field "$st" CapAmb)" "0000000000000000" "CapAmb"
    assert_equal "$(status_field "$st" Seccomp)" "2" "Seccomp (filter mode)"
    assert_equal "$(status_field "$st" NoNewPrivs)" "0" "NoNewPrivs by default"

    sk run --rm --security-opt no-new-privileges "$IMAGE" cat /proc/self/status
    assert_equal "$(status_field "$output" NoNewPrivs)" "1" "NoNewPrivs with no-new-privileges"
    assert_equal "$(status_field "$output" Seccomp)" "2" "Seccomp with no-new-privileges"
}

@test "security: a non-root user has no effective capabilities" {
    sk run --rm -u 1000:1000 "$IMAGE" cat /proc/self/status
    assert_equal "$(status_field "$output" CapEff)" "0000000000000000" "CapEff of uid 1000"
    assert_equal "$(status_field "$output" CapBnd)" "$DEFAULT_CAPS" "CapBnd of uid 1000"
}

@test "security: --cap-drop, --cap-add" {
    sk run --rm --cap-drop=ALL "$IMAGE" cat /proc/self/status
    assert_equal "$(status_field "$output" CapEff)" "0000000000000000" "CapEff after --cap-drop=ALL"
    assert_equal "$(status_field "$output" CapBnd)" "0000000000000000" "CapBnd after --cap-drop=ALL"
    # CAP_SYS_ADMIN is bit 21.
    sk run --rm --cap-add SYS_ADMIN "$IMAGE" cat /proc/self/status
    assert_equal "$(status_field "$output" CapEff)" "00000000802405fb" "CapEff with SYS_ADMIN"
    sk run --rm --cap-add cap_sys_admin --cap-drop CHOWN "$IMAGE" cat /proc/self/status
    assert_equal "$(status_field "$output" CapEff)" "00000000802405fa" "CAP_ prefix, lower case, drop CHOWN"
    sk run --rm --cap-drop CHOWN "$IMAGE" sh -c 'touch /f; chown 1000 /f 2>&1; echo rc=$?'
    assert_match "$output" "rc=1$" "chown without CAP_CHOWN"
    sk 125 run --rm --cap-add NOT_A_CAP "$IMAGE" true
    assert_contains "$output" "NOT_A_CAP"
}

@test "security: --security-opt seccomp=unconfined and a profile file" {
    sk run --rm --security-opt seccomp=unconfined "$IMAGE" cat /proc/self/status
    assert_equal "$(status_field "$output" Seccomp)" "0" "Seccomp with seccomp=unconfined"

    local bad=$BATS_TEST_TMPDIR/bad.json
    echo '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [' >"$bad"
    sk 125 run --rm --security-opt "seccomp=$bad" "$IMAGE" true
    assert_contains "$output" "bad.json"
    assert_match "$output" "JSON|json" "the message says what is wrong"
    sk 125 run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/missing.json" "$IMAGE" true
    assert_contains "$output" "missing.json"
    sk 125 run --rm --security-opt bogus-option "$IMAGE" true
    assert_contains "$output" "bogus-option"

    # A valid profile that allows everything but mkdir.
    local good=$BATS_TEST_TMPDIR/good.json
    cat >"$good" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
EOF
    sk run --rm --security-opt "seccomp=$good" "$IMAGE" sh -c 'mkdir /newdir 2>&1; echo rc=$?; grep Seccomp: /proc/self/status'
    assert_match "$output" "rc=1"
    assert_match "$output" $'Seccomp:\t2'
}

@test "security: masked paths read empty, /proc/sys is read-only" {
    sk run --rm "$IMAGE" sh -c '
        for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do
            [ -e $f ] || continue
            echo "$f: $(cat $f 2>/dev/null | wc -c)"
        done
        [ -d /proc/acpi ] && echo "acpi: $(ls -A /proc/acpi | wc -l)"
        [ -d /proc/scsi ] && echo "scsi: $(ls -A /proc/scsi | wc -l)"
        echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo WROTE-SYS
        echo 1 > /proc/sysrq-trigger 2>/dev/null && echo WROTE-SYSRQ
        grep -E " /proc/(keys|acpi) " /proc/self/mountinfo | wc -l
        true'
    local l
    for l in "${lines[@]}"; do
        case $l in
        /proc/*:*) assert_match "$l" ': 0$' "masked file" ;;
        acpi:* | scsi:*) assert_match "$l" ': 0$' "masked dir" ;;
        esac
    done
    assert "$output" '!*' "WROTE" "a write to /proc/sys succeeded"
    assert_equal "${lines[-1]}" "2" "/proc/keys and /proc/acpi are mount points"
    # /proc/keys exists on every kernel with keys; it must have been listed.
    assert_match "$output" "/proc/keys: 0" "/proc/keys"
}

@test "security: --privileged" {
    sk run --rm --privileged "$IMAGE" sh -c 'cat /proc/self/status; echo mounts: $(grep -cE " /proc/(keys|acpi) " /proc/self/mountinfo)'
    assert_equal "$(status_field "$output" Seccomp)" "0" "Seccomp with --privileged"
    assert "$(status_field "$output" CapEff)" '!=' "$DEFAULT_CAPS" "CapEff with --privileged"
    local want
    if is_rootless; then
        # A new user namespace holds every capability the kernel knows.
        want=$(printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)))
    else
        # Root: every capability of the caller's bounding set (docker, podman).
        want=$(status_field "$(cat /proc/self/status)" CapBnd)
    fi
    assert_equal "$(status_field "$output" CapEff)" "$want" "CapEff with --privileged"
    assert_match "$output" "mounts: 0" "nothing is masked with --privileged"
    sk run --rm --cap-add ALL "$IMAGE" cat /proc/self/status
    assert_equal "$(status_field "$output" CapEff)" "$want" "CapEff with --cap-add ALL"
    assert_equal "$(status_field "$output" Seccomp)" "2" "--cap-add ALL keeps seccomp"
}

@test "security: only the container's processes are visible" {
    sk run --rm "$IMAGE" sh -c 'ls /proc | grep -E "^[0-9]+$" | sort -n | tr "\n" " "'
    # sh is 1; ls, grep, sort and tr are its children.
    local pids=($output)
    assert "${#pids[@]}" -le 5 "pids in the container: ${pids[*]}"
    assert_equal "${pids[0]}" "1" "first pid"
    sk run --rm "$IMAGE" ps -o pid,comm
    assert "$(grep -vc PID <<<"$output")" -eq 1 "processes ps sees"
}

@test "security: only fds 0, 1 and 2 reach the command" {
    # ls opens the directory it lists: skip the fd that no longer resolves.
    sk run --rm "$IMAGE" sh -c 'for f in /proc/$$/fd/*; do [ -e "$f" ] && echo "${f##*/}"; done; true'
    assert_equal "$(tr '\n' ' ' <<<"$output")" "0 1 2 " "fds of the container's sh"
    sk run --rm --init "$IMAGE" sh -c 'for f in /proc/$$/fd/*; do [ -e "$f" ] && echo "${f##*/}"; done; true'
    assert_equal "$(tr '\n' ' ' <<<"$output")" "0 1 2 " "fds of the command under --init"
}

@test "security: no new user namespace, no mount, no /proc/sys writes" {
    sk run --rm "$IMAGE" sh -c 'unshare -r true 2>&1; echo unshare=$?'
    assert_match "$output" "unshare=1$" "unshare -r"
    sk run --rm "$IMAGE" sh -c 'mount -t tmpfs none /mnt 2>&1; echo mount=$?'
    assert_match "$output" "mount=[1-9][0-9]*$" "mount -t tmpfs"
    sk run --rm "$IMAGE" sh -c 'hostname other 2>&1; echo rc=$?'
    assert_match "$output" "rc=1$" "sethostname without CAP_SYS_ADMIN"
}
