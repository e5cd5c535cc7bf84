#!/usr/bin/env bats
#
# The fuse-overlayfs storage driver: storage.driver: fuse-overlayfs in the
# config, the rootfs a fuse.fuse-overlayfs mount served by a daemon outside
# the container's mount and pid namespaces; image owners and setuid bits,
# the image's whiteouts and opaque dirs, writes that persist across start,
# containers that do not see each other, diff, cp of a stopped container,
# no daemon or mount left behind (foreground run, rm -f, a monitor killed
# with -9), and the automatic choice when native overlayfs is refused.
# Runs as root and rootless with this file's store.

load helpers

ML_IMAGE=${SKIFF_REG_PLAIN:+$SKIFF_REG_PLAIN/skiff/multilayer:latest}
VOL_IMAGE=${SKIFF_REG_PLAIN:+$SKIFF_REG_PLAIN/skiff/volumes:latest}

setup_file() {
    printf 'storage:\n  driver: fuse-overlayfs\n' >"$BATS_FILE_TMPDIR/fuse.yaml"
    printf 'storage:\n  driver: auto\n' >"$BATS_FILE_TMPDIR/auto.yaml"
    prepull "$IMAGE" "$ML_IMAGE" "$VOL_IMAGE"
}

setup() {
    basic_setup
    require_rig
    [[ -e /dev/fuse ]] || skip "this host has no /dev/fuse"
}

# fk [EXPECTED_EXIT] ARGS...: skiff with this file's store and the
# fuse-overlayfs configuration.
fk() {
    local rc=0
    case "${1:-}" in '?' | [0-9] | [0-9][0-9] | [0-9][0-9][0-9]) rc=$1; shift ;; esac
    # shellcheck disable=SC2046
    run_skiff "$rc" $(store_args) --config "$BATS_FILE_TMPDIR/fuse.yaml" "$@"
}

# The fuse-overlayfs daemons serving this file's containers (not zombies:
# those have no command line).
fuse_daemons() { pgrep -f "fuse-overlayfs .*upperdir=$BATS_FILE_TMPDIR/" || true; }

# Zombie fuse-overlayfs processes anywhere.
fuse_zombies() { ps -eo pid=,stat=,comm= | awk '$2 ~ /^Z/ && $3 == "fuse-overlayfs"'; }

# Waits up to 5 s for the daemons to be gone.
assert_no_daemons() {
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -z $(fuse_daemons) ]] && break
        sleep 0.1
    done
    assert_equal "$(fuse_daemons)" "" "fuse-overlayfs daemons left running ($1)"
    assert_equal "$(grep -c "fuse-overlayfs" /proc/self/mountinfo)" 0 "fuse mounts in skiff's namespace ($1)"
}

@test "fuse: run's rootfs is a fuse.fuse-overlayfs mount, recorded as the container's driver" {
    fk run --name fz-one "$IMAGE" cat /proc/self/mountinfo
    assert_match "$output" $'(^|\n)[0-9]+ [0-9]+ [0-9]+:[0-9]+ / / [^\n]* - fuse\\.fuse-overlayfs fuse-overlayfs '
    fk inspect --format '{{.Driver}}' fz-one
    assert_equal "$output" "fuse-overlayfs"
    fk inspect fz-one
    assert_equal "$(jq -r '.[0].GraphDriver.Name' <<<"$output")" "fuse-overlayfs"
    assert_match "$(jq -r '.[0].GraphDriver.Data.UpperDir' <<<"$output")" "/upper$"
    # The daemon is not in the container's pid namespace.
    fk run --rm "$IMAGE" sh -c 'cat /proc/[0-9]*/comm'
    [[ $output != *fuse-overlayfs* ]] || die "fuse-overlayfs is visible inside the container"
    fk rm fz-one
}

@test "fuse: image owners, setuid bits, whiteouts and opaque dirs as in the image" {
    fk run --rm "$ML_IMAGE" stat -c '%u %g %a %n' /data/owned-root /data/owned-tester \
        /data/owned-nobody /data/tester-dir /data/tester-dir/inside /usr/local/bin/suid-tool
    assert_equal "$output" "0 0 644 /data/owned-root
1000 1000 644 /data/owned-tester
65534 65534 644 /data/owned-nobody
1000 1000 750 /data/tester-dir
1000 1000 644 /data/tester-dir/inside
0 0 4755 /usr/local/bin/suid-tool"
    fk run --rm "$ML_IMAGE" sh -c 'ls /data/opaque; test -e /data/to-delete && echo to-delete; cat /data/owned-root'
    assert_equal "$output" $'upper-new\nroot, modified in layer 3'
    # Permissions are checked by the kernel (default_permissions).
    fk run --rm --user 1000:1000 "$ML_IMAGE" sh -c 'echo x >> /data/owned-root && echo wrote; id -u'
    assert_match "$output" "Permission denied"
    assert_match "$output" $'(^|\n)1000$'
    [[ $output != *wrote* ]] || die "uid 1000 could write a file of root's with mode 644"
    # A new file gets the creating user's ids.
    fk run --rm --user 1000:1000 "$ML_IMAGE" sh -c 'echo y > /tmp/mine; stat -c "%u %g" /tmp/mine'
    assert_equal "$output" "1000 1000"
}

@test "fuse: writes persist across start; two containers do not see each other; layers unchanged" {
    local layers=$BATS_FILE_TMPDIR/root/layers before after
    [[ -d $layers ]] || die "no layer store at $layers"
    before=$(find "$layers" -printf '%p %y %s %m %U %G %T@\n' 2>/dev/null | sort | md5sum)
    fk run --name fz-a "$IMAGE" sh -c 'cat /etc/note 2>/dev/null; echo a >> /etc/note; rm -f /etc/group'
    assert_equal "$output" ""
    fk start --attach fz-a
    assert_equal "$output" "a"
    fk start --attach fz-a
    assert_equal "$output" $'a\na'
    fk run --name fz-b "$IMAGE" sh -c 'cat /etc/note 2>&1; test -e /etc/group && echo group; echo b > /etc/note'
    assert_match "$output" "No such file"
    assert_match "$output" $'\ngroup$'
    fk start --attach fz-a
    assert_equal "$output" $'a\na\na'
    after=$(find "$layers" -printf '%p %y %s %m %U %G %T@\n' 2>/dev/null | sort | md5sum)
    assert_equal "$after" "$before" "the image's layer directories changed"
    fk rm fz-a fz-b
}

@test "fuse: diff shows an added and a deleted file; cp reads a stopped container" {
    fk run --name fz-diff "$ML_IMAGE" sh -c 'echo new > /added; rm /data/owned-root; rm -r /data/opaque; mkdir /data/opaque; echo o > /data/opaque/only'
    fk diff fz-diff
    assert_match "$output" $'(^|\n)A /added(\n|$)'
    assert_match "$output" $'(^|\n)D /data/owned-root(\n|$)'
    assert_match "$output" $'(^|\n)C /data(\n|$)'
    [[ $output != *".wh."* ]] || die "diff shows whiteout files"
    fk cp fz-diff:/added "$BATS_TEST_TMPDIR/added"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/added")" "new"
    fk cp fz-diff:/data/opaque "$BATS_TEST_TMPDIR/opaque"
    assert_equal "$(ls "$BATS_TEST_TMPDIR/opaque")" "only" "the recreated directory hides the image's"
    fk '?' cp fz-diff:/data/owned-root "$BATS_TEST_TMPDIR/gone"
    assert "$status" -ne 0 "cp of a deleted file"
    echo into >"$BATS_TEST_TMPDIR/into"
    fk cp "$BATS_TEST_TMPDIR/into" fz-diff:/into
    fk start --attach fz-diff
    fk diff fz-diff
    assert_match "$output" $'(^|\n)A /into(\n|$)'
    assert_no_daemons "after cp"
    fk rm fz-diff
}

@test "fuse: no daemon, zombie or mount left after a foreground run, rm -f, or a monitor killed with -9" {
    # Zombies of earlier tests' orphaned daemons (pid 1 here is slow to
    # reap) are not this run's: only new ones count.
    local zombies_before
    zombies_before=$(fuse_zombies | awk '{print $1}')
    fk run --rm "$IMAGE" true
    # The foreground run waits for its daemon: nothing to wait for here.
    assert_equal "$(fuse_daemons)" "" "daemon left by a foreground run"
    # It was skiff's own child, reaped by skiff (orphans go to a pid 1 here
    # that is slow to reap, so this is checked only where skiff reaps).
    local z new_zombies=""
    for z in $(fuse_zombies | awk '{print $1}'); do
        grep -qx "$z" <<<"$zombies_before" || new_zombies+=" $z"
    done
    assert_equal "$new_zombies" "" "fuse-overlayfs zombies left by the foreground run"
    assert_no_daemons "foreground run"

    fk run -d --name fz-bg "$IMAGE" sleep 1000
    [[ -n $(fuse_daemons) ]] || die "no fuse-overlayfs daemon serves the running container"
    fk exec fz-bg sh -c 'echo via-exec > /tmp/x; cat /tmp/x'
    assert_equal "$output" "via-exec"
    fk rm -f fz-bg
    assert_no_daemons "rm -f"

    fk run -d --name fz-orphan "$IMAGE" sleep 1000
    local mon
    mon=$("$SKIFF_BIN" $(store_args) inspect --format '{{.State.MonitorPid}}' fz-orphan)
    kill -9 "$mon"
    fk ps -a --format '{{.Names}} {{.State}}'
    assert_match "$output" "(^|"$'\n'")fz-orphan exited($|"$'\n'")"
    assert_no_daemons "monitor killed"
    fk rm -f fz-orphan
}

@test "fuse: volumes are seeded from the image's layers (read-only fuse-overlayfs in the helper)" {
    # Two layers: the seeding mounts them with fuse-overlayfs, not the top one alone.
    fk run --rm "$VOL_IMAGE" sh -c 'cd /seeded && find . | sort'
    assert_contains "$output" "./sub/deep"
    assert_contains "$output" "./hello"
    fk run --rm -v fz-vol:/seeded "$VOL_IMAGE" cat /seeded/hello
    local hello=$output
    [[ -n $hello ]] || die "the named volume was not seeded"
    fk volume rm fz-vol
    assert_no_daemons "after seeding"
}

@test "fuse: a daemon that fails says why" {
    # Under the cached probe the driver is valid; a missing layer dir makes
    # fuse-overlayfs itself refuse.
    fk create --name fz-broken "$IMAGE" true
    local upper
    upper=$(compgen -G "$BATS_FILE_TMPDIR/root/containers/*/upper" | head -1)
    [[ -n $upper ]] || die "no upper dir"
    local work=${upper%/upper}/work
    if is_rootless; then
        unshare --map-root-user --map-auto rm -rf "$work"
    else
        rm -rf "$work"
    fi
    : >"$work" # a file where the work dir should be
    fk '?' start --attach fz-broken
    assert "$status" -ne 0 "start with a broken work dir"
    assert_match "$output" "fuse-overlayfs exited with status [0-9]+"
    assert_no_daemons "failed start"
    rm -f "$work"
    fk rm -f fz-broken
}

@test "fuse: auto picks fuse-overlayfs when the native overlay probe says no, and info says why" {
    local cache=$BATS_FILE_TMPDIR/runroot/overlay-probe.json saved=
    mkdir -p "${cache%/*}"
    [[ -f $cache ]] && saved=$(cat "$cache")
    printf '{"ok":false,"detail":"test: native refused"}' >"$cache"
    # shellcheck disable=SC2046
    run_skiff $(store_args) --config "$BATS_FILE_TMPDIR/auto.yaml" info --format json
    assert_equal "$(jq -r .store.graphDriverName <<<"$output")" "fuse-overlayfs"
    assert_match "$(jq -r .store.graphDriverReason <<<"$output")" "test: native refused"
    # shellcheck disable=SC2046
    run_skiff $(store_args) --config "$BATS_FILE_TMPDIR/auto.yaml" run --rm "$IMAGE" cat /proc/self/mountinfo
    assert_match "$output" $'(^|\n)[0-9]+ [0-9]+ [0-9]+:[0-9]+ / / [^\n]* - fuse\\.fuse-overlayfs '
    if [[ -n $saved ]]; then printf '%s' "$saved" >"$cache"; else rm -f "$cache"; fi
}

@test "fuse: without /dev/fuse, info and run say so (root: a private /dev without it)" {
    skip_if_rootless
    local cfg=$BATS_FILE_TMPDIR/fuse.yaml
    # shellcheck disable=SC2046,SC2016
    run unshare -m sh -c 'mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 &&
        "$0" "$@" info --format json' "$SKIFF_BIN" $(store_args) --config "$cfg"
    echo "$output"
    assert_match "$(jq -r .store.graphDriverProblem <<<"$output")" \
        "storage.driver is fuse-overlayfs, but /dev/fuse is missing"
    # shellcheck disable=SC2046,SC2016
    export IMG=$IMAGE
    run unshare -m sh -c 'mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 &&
        "$0" "$@" run --rm "$IMG" true' "$SKIFF_BIN" $(store_args) --config "$cfg"
    echo "$output"
    assert_equal "$status" 125
    assert_match "$output" "/dev/fuse"
}
