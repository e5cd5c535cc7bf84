#!/usr/bin/env bats
#
# Volumes and mounts: named volumes (create, ls, inspect, rm, prune), -v
# NAME:/path with seeding from the image, anonymous volumes (-v /path, the
# image's VOLUME) removed by --rm, --mount, -v options, --volumes-from, and
# mount targets that symlinks in the image try to lead out of the container
# root. skiff cp (stopped and running containers, tar streams, planted
# symlinks) and skiff diff.
# Runs as root and rootless with this file's store.

load helpers

VOL_IMAGE=${SKIFF_REG_PLAIN:+$SKIFF_REG_PLAIN/skiff/volumes:latest}

setup_file() { prepull "$IMAGE" "$VOL_IMAGE"; }

setup() {
    basic_setup
    require_rig
}

volumes_dir() { echo "$BATS_FILE_TMPDIR/root/volumes"; }

@test "volume: create, ls, inspect, rm" {
    sk volume create --label app=web --label tier vt-one
    assert_equal "$output" "vt-one"
    sk volume create vt-two
    sk 125 volume create vt-one
    assert_contains "$output" "already exists"
    sk 125 volume create ../bad
    assert_contains "$output" "invalid volume name"
    sk 125 volume create --opt type=tmpfs vt-three
    assert_contains "$output" "not supported"

    sk volume ls
    assert_match "$output" "DRIVER +VOLUME NAME"
    assert_match "$output" $'\n''local +vt-one'
    sk volume ls -q --filter name=one
    assert_equal "$output" "vt-one"
    sk volume ls -q --filter label=app=web
    assert_equal "$output" "vt-one"
    sk volume ls -q --filter label=tier --filter name=vt-
    assert_equal "$output" "vt-one"
    sk volume ls --format '{{.Name}} {{.Driver}}' --filter name=vt-two
    assert_equal "$output" "vt-two local"
    sk 125 volume ls --filter colour=red

    sk volume inspect vt-one
    local json=$output
    assert_equal "$(jq -r '.[0].Name' <<<"$json")" "vt-one"
    assert_equal "$(jq -r '.[0].Driver' <<<"$json")" "local"
    assert_equal "$(jq -r '.[0].Scope' <<<"$json")" "local"
    assert_equal "$(jq -r '.[0].Labels.app' <<<"$json")" "web"
    assert_equal "$(jq -r '.[0].Mountpoint' <<<"$json")" "$(volumes_dir)/vt-one/_data"
    assert_match "$(jq -r '.[0].CreatedAt' <<<"$json")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T'
    sk volume inspect --format '{{.Mountpoint}}' vt-two
    assert_equal "$output" "$(volumes_dir)/vt-two/_data"
    # The directory is the user's: root in the container.
    assert_equal "$(stat -c %u "$(volumes_dir)/vt-two/_data")" "$(id -u)"
    sk 125 volume inspect no-such-volume
    assert_contains "$output" "no such volume"

    sk volume rm vt-one vt-two
    sk volume ls -q --filter name=vt-
    assert_equal "$output" ""
    sk 125 volume rm vt-one
}

@test "volume: data outlives containers; a used volume is not removed" {
    sk run --name vt-writer -v vt-data:/data "$IMAGE" sh -c 'echo persisted > /data/f; id -u > /data/who'
    sk run --rm -v vt-data:/data:ro "$IMAGE" cat /data/f
    assert_equal "$output" "persisted"
    # The container vt-writer (stopped, not removed) still uses it.
    sk 125 volume rm vt-data
    assert_contains "$output" "vt-writer"
    sk volume ls -q --filter dangling=false --filter name=vt-data
    assert_equal "$output" "vt-data"
    sk volume prune -f
    sk volume ls -q --filter name=vt-data
    assert_equal "$output" "vt-data" "prune keeps a used volume"
    # Containers have no rm yet: remove the record by hand, as rm will.
    rm -rf "$BATS_FILE_TMPDIR/root/containers"/*
    sk volume ls -q --filter dangling=true --filter name=vt-data
    assert_equal "$output" "vt-data"
    sk volume prune -f
    assert_contains "$output" "vt-data"
    sk volume ls -q --filter name=vt-data
    assert_equal "$output" ""
}

@test "volume: rm -f removes a used volume" {
    sk run --name vt-user -v vt-forced:/data "$IMAGE" true
    sk volume rm -f vt-forced
    sk volume ls -q --filter name=vt-forced
    assert_equal "$output" ""
    rm -rf "$BATS_FILE_TMPDIR/root/containers"/*
}

@test "volume: a fresh volume is seeded from the image with owners and modes" {
    sk run --rm -v vt-seed:/seeded "$VOL_IMAGE" sh -c \
        'cat /seeded/hello /seeded/sub/deep; stat -c "%u:%g %a" /seeded /seeded/hello; readlink /seeded/link'
    assert_equal "$output" $'seed\ndeep\n1000:1000 750\n1000:1000 640\n/etc/passwd'
    # Not seeded again once it has content: the container's change stays.
    sk run --rm -v vt-seed:/seeded "$VOL_IMAGE" sh -c 'rm /seeded/hello; echo mine > /seeded/new'
    sk run --rm -v vt-seed:/seeded "$VOL_IMAGE" ls /seeded
    assert_equal "$output" $'link\nnew\nsub'
    # nocopy: an empty volume stays empty.
    sk run --rm -v vt-nocopy:/seeded:nocopy "$VOL_IMAGE" ls -A /seeded
    assert_equal "$output" ""
    # A bind mount is never seeded.
    mkdir -p "$BATS_TEST_TMPDIR/bind"
    sk run --rm -v "$BATS_TEST_TMPDIR/bind:/seeded" "$VOL_IMAGE" ls -A /seeded
    assert_equal "$output" ""
    sk volume rm vt-seed vt-nocopy
}

@test "volume: anonymous volumes (-v /path, VOLUME) are seeded and removed by --rm" {
    local before
    before=$(ls "$(volumes_dir)" 2>/dev/null | wc -l)
    sk run --rm -v /fresh "$VOL_IMAGE" sh -c 'cat /anon/marker; grep -c " /anon " /proc/mounts; touch /fresh/x && echo w'
    assert_equal "$output" $'from image\n1\nw'
    assert_equal "$(ls "$(volumes_dir)" | wc -l)" "$before" "--rm removed the anonymous volumes"
    # Without --rm they stay, marked anonymous, until the container goes.
    sk run --name vt-anon "$VOL_IMAGE" true
    sk volume ls --format '{{.Anonymous}}'
    assert_contains "$output" "true"
    rm -rf "$BATS_FILE_TMPDIR/root/containers"/*
    sk volume prune -f
    # A -v on the VOLUME path replaces the anonymous volume.
    sk run --rm -v vt-anon-named:/anon "$VOL_IMAGE" cat /anon/marker
    assert_equal "$output" "from image"
    sk volume ls -q
    assert_equal "$output" "vt-anon-named"
    sk volume rm vt-anon-named
}

@test "mount: -v host:ctr:ro refuses writes; files written are the user's on the host" {
    local d=$BATS_TEST_TMPDIR/host
    mkdir -p "$d"
    echo host > "$d/in"
    sk run --rm -v "$d:/h:ro" "$IMAGE" sh -c 'cat /h/in; touch /h/new 2>&1; echo rc=$?'
    assert_match "$output" "^host"
    assert_match "$output" "Read-only file system"
    assert_match "$output" "rc=1"
    [[ ! -e $d/new ]] || die "a write went through a read-only bind"
    sk run --rm -v "$d:/h" "$IMAGE" sh -c 'echo written > /h/out'
    assert_equal "$(cat "$d/out")" "written"
    assert_equal "$(stat -c %u "$d/out")" "$(id -u)" "owner of a file container root wrote"
    # noexec, nosuid, nodev reach the mount.
    sk run --rm -v "$d:/h:noexec,nosuid,nodev,z" "$IMAGE" sh -c 'grep " /h " /proc/mounts'
    assert_match "$output" "nosuid"
    assert_match "$output" "nodev"
    assert_match "$output" "noexec"
    sk 125 run --rm -v "$d:/h:shared" "$IMAGE" true
    assert_contains "$output" "not supported"
    sk 125 run --rm -v "$d:/h:bogus" "$IMAGE" true
    assert_contains "$output" "unknown option"
    sk 125 run --rm -v "a:/x" -v "b:/x" "$IMAGE" true
    assert_contains "$output" "duplicate mount point"
}

@test "mount: U chowns the source to the container's user" {
    sk run --rm -v vt-u:/data:U --user 1000:1000 "$IMAGE" sh -c 'touch /data/mine && stat -c %u:%g /data /data/mine'
    assert_equal "$output" $'1000:1000\n1000:1000'
    sk volume rm vt-u
}

@test "mount: --mount type=bind|volume|tmpfs" {
    local d=$BATS_TEST_TMPDIR/m
    mkdir -p "$d"
    echo m > "$d/f"
    sk run --rm --mount "type=bind,source=$d,target=/b,readonly" "$IMAGE" sh -c 'cat /b/f; touch /b/x 2>/dev/null || echo ro'
    assert_equal "$output" $'m\nro'
    sk 125 run --rm --mount "type=bind,source=$d/missing,target=/b" "$IMAGE" true
    assert_contains "$output" "does not exist"
    sk run --rm --mount type=volume,src=vt-m,dst=/v "$IMAGE" sh -c 'echo v > /v/f'
    sk run --rm --mount source=vt-m,target=/v,ro "$IMAGE" cat /v/f
    assert_equal "$output" "v"
    sk run --rm --mount type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770 "$IMAGE" sh -c \
        'stat -c %a /t; dd if=/dev/zero of=/t/big bs=1k count=2048 2>/dev/null; echo rc=$?
         [ "$(du -k /t/big | cut -f1)" -le 1024 ] && echo capped'
    assert_equal "$output" $'1770\nrc=1\ncapped'
    sk 125 run --rm --mount type=nfs,target=/x "$IMAGE" true
    assert_contains "$output" "type must be"
    sk 125 run --rm --mount type=bind,source=$d,target=/b,bind-propagation=rshared "$IMAGE" true
    sk volume rm vt-m
}

@test "mount: nested destinations are mounted parents first, whatever the order given" {
    local d=$BATS_TEST_TMPDIR/nest
    mkdir -p "$d/deep" "$d/top"
    echo deep > "$d/deep/f"
    echo top > "$d/top/f"
    # Child before parent on the command line, and a tmpfs between them:
    # each must stay visible (docker sorts mounts by destination depth).
    sk run --rm -v "$d/deep:/x/sub/deep:ro" --tmpfs /x/sub -v "$d/top:/x" "$IMAGE" \
        sh -c 'cat /x/f /x/sub/deep/f; grep -c " /x/sub " /proc/self/mountinfo; touch /x/sub/deep/w 2>/dev/null || echo ro'
    assert_equal "$output" $'top\ndeep\n1\nro'
    # Nothing the container made under the tmpfs reached the host's directory.
    [ ! -e "$d/top/sub" ] || [ -z "$(ls -A "$d/top/sub")" ]
}

@test "mount: --tmpfs /x:size=1m caps writes at 1 MiB" {
    sk run --rm --tmpfs /x:size=1m "$IMAGE" sh -c 'dd if=/dev/zero of=/x/big bs=1k count=2048 2>/dev/null; echo rc=$?
        [ "$(du -k /x/big | cut -f1)" -le 1024 ] && [ "$(du -k /x/big | cut -f1)" -ge 1000 ] && echo capped'
    assert_equal "$output" $'rc=1\ncapped'
}

@test "mount: symlinked targets in the image stay inside the container root" {
    local d=$BATS_TEST_TMPDIR/src
    mkdir -p "$d"
    echo planted > "$d/file"
    # /data-etc -> /etc: the mount lands on the container's /etc, not the host's.
    sk run --rm -v "$d:/data-etc/skiff-planted" "$VOL_IMAGE" cat /etc/skiff-planted/file
    assert_equal "$output" "planted"
    [[ ! -e /etc/skiff-planted ]] || die "a mount target escaped to the host's /etc"
    # /up -> ../../../.. and /a -> ../../../../etc resolve to / and /etc of the container.
    sk run --rm -v "vt-esc:/up/escaped" --mount "type=bind,src=$d,dst=/a/esc2" "$VOL_IMAGE" \
        sh -c 'echo x > /escaped/w; cat /etc/esc2/file'
    assert_equal "$output" "planted"
    [[ ! -e /escaped && ! -e /etc/esc2 ]] || die "a mount target escaped to the host"
    # /out -> /: a tmpfs and a volume under it are the container's.
    sk run --rm --tmpfs /out/tmpx -v "vt-esc:/out/v2" "$VOL_IMAGE" sh -c 'cat /v2/w; grep -c " /tmpx " /proc/mounts'
    assert_equal "$output" $'x\n1'
    [[ ! -e /tmpx && ! -e /v2 ]] || die "a mount target escaped to the host"
    # Seeding follows the image's links inside the image only: /data-etc is /etc of the image.
    # (Inside that container /etc/hostname is the generated one, mounted over
    # the volume as docker does; the volume itself holds the image's copy.)
    sk run --rm --hostname hx -v "vt-seed-etc:/data-etc" "$VOL_IMAGE" cat /etc/hostname
    assert_equal "$output" "hx"
    sk run --rm -v "vt-seed-etc:/seeded" "$VOL_IMAGE" cat /seeded/hostname
    assert_equal "$output" "skiff-fixture"
    sk volume rm vt-esc vt-seed-etc
}

# The host UID that the container's UID $1 is, for this user.
host_uid_of() {
    if ! is_rootless; then echo "$1"; return; fi
    if (($1 == 0)); then id -u; return; fi
    local start
    start=$(awk -F: -v u="$(id -un)" '$1 == u { print $2; exit }' /etc/subuid)
    echo $((start + $1 - 1))
}

@test "cp: round trip of a tree keeps content and modes; -a keeps owners" {
    local src=$BATS_TEST_TMPDIR/tree back=$BATS_TEST_TMPDIR/back
    mkdir -p "$src/sub/deeper" "$back"
    echo one > "$src/sub/f"
    chmod 0640 "$src/sub/f"
    printf '#!/bin/sh\necho run\n' > "$src/exec"
    chmod 0755 "$src/exec"
    chmod 0750 "$src/sub/deeper"
    ln -s sub/f "$src/link"
    ln -s /etc/shadow "$src/abs-link"
    sk run --name cp-rt "$VOL_IMAGE" true
    sk cp "$src" cp-rt:/tree
    sk cp cp-rt:/tree "$back/"
    diff -r --no-dereference "$src" "$back/tree" || die "the tree changed on its way"
    assert_equal "$(stat -c %a "$back/tree/sub/f") $(stat -c %a "$back/tree/exec") $(stat -c %a "$back/tree/sub/deeper")" \
        "640 755 750" "modes"
    assert_equal "$(readlink "$back/tree/abs-link")" "/etc/shadow" "a symlink is copied as a link"
    # Without -a, copies out belong to the invoking user.
    assert_equal "$(stat -c %u "$back/tree/sub/f")" "$(id -u)"
    # -a keeps the container's owners: the image's 1000:1000 files (a file:
    # rootless, a 0750 directory of another ID could not be looked into).
    sk cp -a cp-rt:/seeded/hello "$back/owned"
    assert_equal "$(stat -c '%u %a' "$back/owned")" "$(host_uid_of 1000) 640" "owner with -a"
    rm -f "$back/owned"
    sk cp cp-rt:/seeded/link "$back/link"
    [[ -L $back/link ]] || die "cp of a symlink did not copy the link"
    assert_equal "$(readlink "$back/link")" "/etc/passwd"
    # Contents with /. into an existing directory.
    mkdir -p "$back/contents"
    sk cp cp-rt:/seeded/. "$back/contents"
    assert_equal "$(ls "$back/contents" | tr '\n' ' ')" "hello link sub "
}

@test "cp: a stopped container's volumes are seen where it mounts them" {
    local out=$BATS_TEST_TMPDIR/vout f=$BATS_TEST_TMPDIR/vin
    echo in > "$f"
    sk run --name cp-vol -v vt-cpv:/vol -v vt-cpro:/ro:ro "$IMAGE" sh -c 'echo invol > /vol/f'
    sk cp cp-vol:/vol/f "$out"
    assert_equal "$(cat "$out")" "invol"
    sk cp "$f" cp-vol:/vol/g
    sk run --rm -v vt-cpv:/v "$IMAGE" cat /v/g
    assert_equal "$output" "in"
    sk 125 cp "$f" cp-vol:/ro/g
    assert_contains "$output" "Read-only file system"
}

@test "cp: symlinks planted in the container cannot reach the host" {
    local f=$BATS_TEST_TMPDIR/planted out=$BATS_TEST_TMPDIR/out
    mkdir -p "$out"
    echo planted > "$f"
    sk run --name cp-esc "$VOL_IMAGE" true
    # /out -> /: reading /out/etc/hostname reads the container's file.
    sk cp cp-esc:/out/etc/hostname "$out/hostname"
    assert_equal "$(cat "$out/hostname")" "skiff-fixture"
    # /a -> ../../../../etc: writing lands in the container's /etc.
    sk cp "$f" cp-esc:/a/skiff-cp-planted
    [[ ! -e /etc/skiff-cp-planted ]] || die "cp wrote to the host's /etc"
    sk cp cp-esc:/etc/skiff-cp-planted "$out/back"
    assert_equal "$(cat "$out/back")" "planted"
    # /up -> ../../../..: the container's root.
    sk cp "$f" cp-esc:/up/skiff-cp-up
    [[ ! -e /skiff-cp-up ]] || die "cp wrote to the host's /"
    sk cp cp-esc:/skiff-cp-up "$out/up"
    assert_equal "$(cat "$out/up")" "planted"
    # A destination that is a symlink to a file is replaced, not written through.
    sk cp "$f" cp-esc:/seeded/link
    sk cp cp-esc:/seeded/link "$out/link"
    [[ ! -L $out/link ]] || die "the symlink at the destination was kept"
    assert_equal "$(cat "$out/link")" "planted"
    assert "$(cat /etc/passwd)" '!=' "planted" "cp wrote through a symlink to the host"
    sk 125 cp cp-esc:/no/such "$out/x"
    sk 125 cp "$f" "$out/y"
    assert_contains "$output" "CONTAINER:PATH"
    sk 125 cp - -
}

@test "cp: tar streams with -" {
    local t=$BATS_TEST_TMPDIR/t
    mkdir -p "$t/in/sub" "$t/x"
    echo one > "$t/in/sub/f"
    ln -s ../../../../etc/passwd "$t/in/escape"
    sk run --name cp-tar "$VOL_IMAGE" true
    tar -C "$t" -cf "$t/in.tar" in
    run_skiff 0 $(store_args) cp - cp-tar:/tmp <"$t/in.tar"
    # The symlink arrives as a link; nothing is written through it.
    # shellcheck disable=SC2046
    "$SKIFF_BIN" $(store_args) cp -a cp-tar:/tmp/in - >"$t/out.tar" || die "cp to stdout failed"
    tar -C "$t/x" -xf "$t/out.tar"
    assert_equal "$(cat "$t/x/in/sub/f")" "one"
    assert_equal "$(readlink "$t/x/in/escape")" "../../../../etc/passwd"
    # The container's owners are in the stream: the image's 1000 for /seeded.
    # shellcheck disable=SC2046
    "$SKIFF_BIN" $(store_args) cp cp-tar:/seeded - | tar -tvf - >"$t/list"
    assert_match "$(cat "$t/list")" "1000/1000 +5 .* seeded/hello"
    # An entry that climbs out of the destination is refused.
    python3 -c 'import tarfile,io,sys
t=tarfile.open(fileobj=sys.stdout.buffer,mode="w|")
i=tarfile.TarInfo("../../../../../tmp/skiff-cp-evil"); d=b"evil\n"; i.size=len(d)
t.addfile(i,io.BytesIO(d)); t.close()' >"$t/evil.tar"
    run_skiff 125 $(store_args) cp - cp-tar:/tmp <"$t/evil.tar"
    [[ ! -e /tmp/skiff-cp-evil ]] || die "a tar entry escaped to the host"
}

@test "cp: into and out of a running container" {
    local f=$BATS_TEST_TMPDIR/live out=$BATS_TEST_TMPDIR/live-out
    echo live > "$f"
    # shellcheck disable=SC2046
    "$SKIFF_BIN" $(store_args) run --name cp-live "$IMAGE" sh -c 'echo up > /tmp/up; sleep 8' >/dev/null 2>&1 &
    local pid=$! i
    # Wait until its record says running (and its /tmp/up is there).
    for i in $(seq 100); do
        if jq -s -e 'any(.[]; .Name == "cp-live" and .State.Status == "running")' \
            "$BATS_FILE_TMPDIR"/root/containers/*/container.json >/dev/null 2>&1; then
            run_skiff '?' $(store_args) cp cp-live:/tmp/up "$BATS_TEST_TMPDIR/up"
            [[ $status -eq 0 ]] && break
        fi
        sleep 0.1
    done
    assert_equal "$(cat "$BATS_TEST_TMPDIR/up")" "up" "read from the running container"
    sk cp "$f" cp-live:/tmp/in
    sk cp cp-live:/tmp/in "$out"
    assert_equal "$(cat "$out")" "live"
    wait "$pid"
}

@test "cp: tar streams of a running container use the host's libarchive, never the container's" {
    # The container plants a libarchive where the dynamic loader looks. skiff
    # loads its own before it joins the container's mount namespace.
    local d
    sk run -d --name cp-lib "$IMAGE" sh -c 'for d in /lib /usr/lib /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
        mkdir -p $d && echo planted > $d/libarchive.so.13; done; echo data > /tmp/f; touch /tmp/ready; sleep 60'
    for d in $(seq 100); do
        run_skiff '?' $(store_args) exec cp-lib test -e /tmp/ready
        [[ $status -eq 0 ]] && break
        sleep 0.1
    done
    # shellcheck disable=SC2046
    "$SKIFF_BIN" $(store_args) cp cp-lib:/tmp/f - >"$BATS_TEST_TMPDIR/f.tar" || die "cp to stdout failed"
    assert_match "$(tar -xOf "$BATS_TEST_TMPDIR/f.tar")" "^data$"
    run_skiff 0 $(store_args) cp - cp-lib:/tmp <"$BATS_TEST_TMPDIR/f.tar"
    sk rm -f cp-lib
}

@test "mount: --volumes-from takes another container's volumes and binds" {
    local d=$BATS_TEST_TMPDIR/vf
    mkdir -p "$d"
    echo bound > "$d/f"
    sk run --name vf-src -v vt-vf:/vol -v "$d:/bind:ro" "$IMAGE" sh -c 'echo fromvol > /vol/f'
    sk run --rm --volumes-from vf-src "$IMAGE" sh -c 'cat /vol/f /bind/f; touch /bind/x 2>/dev/null || echo ro'
    assert_equal "$output" $'fromvol\nbound\nro'
    sk run --rm --volumes-from vf-src:ro "$IMAGE" sh -c 'touch /vol/x 2>/dev/null || echo ro'
    assert_equal "$output" "ro"
    sk 125 run --rm --volumes-from no-such-container "$IMAGE" true
    sk 125 run --rm --volumes-from vf-src:bogus "$IMAGE" true
}

@test "diff: A, C and D from the container's writable layer" {
    sk run --name diff-c "$VOL_IMAGE" sh -c 'echo new > /etc/added; echo x >> /etc/passwd; rm /seeded/sub/deep; mkdir -p /newdir/in'
    if ! compgen -G "$BATS_FILE_TMPDIR/root/containers/*/upper" >/dev/null; then
        skip "the vfs driver keeps no writable layer of its own"
    fi
    sk diff diff-c
    assert_match "$output" $'(^|\n)C /etc(\n|$)'
    assert_match "$output" $'(^|\n)A /etc/added(\n|$)'
    assert_match "$output" $'(^|\n)C /etc/passwd(\n|$)'
    assert_match "$output" $'(^|\n)D /seeded/sub/deep(\n|$)'
    assert_match "$output" $'(^|\n)A /newdir/in(\n|$)'
    sk diff --format json diff-c
    assert_equal "$(jq -r '.deleted[0]' <<<"$output")" "/seeded/sub/deep"
    sk 125 diff no-such-container
}
