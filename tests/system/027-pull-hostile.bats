#!/usr/bin/env bats
#
# A registry that serves bad content: a layer blob corrupted in the registry's
# own storage (skiff/corrupt, see tests/rig/registry.sh), and images whose
# layer tars attack the extraction (skiff/evil-*, see tests/rig/mkimage.py).
# Each must fail clearly with a non-zero exit, leave nothing in `skiff images`
# and nothing outside the store, and leave a store that still works.
# Runs as root and as an unprivileged user; stores under BATS_TEST_TMPDIR.

load helpers

# Where the hostile layers aim (mkimage.py's ESCAPE_DIR and ESCAPES).
ESCAPE_DIR=/tmp

setup() {
    basic_setup
    require_rig
    [[ -n "${SKIFF_DIGEST_CORRUPT_LAYER:-}" ]] || skip "the rig has no failure fixtures (old rig.env?)"
    ROOT=$BATS_TEST_TMPDIR/root
    S=(--root "$ROOT" --runroot "$BATS_TEST_TMPDIR/run")
}

teardown() {
    local rc=0
    basic_teardown || rc=1
    remove_store "$ROOT"
    return $rc
}

# The store must hold no image, and nothing that `image prune -a` leaves:
# no layer, no blob, no half-written temporary.
assert_store_empty() {
    run_skiff "${S[@]}" images -a -q
    assert_equal "$output" "" "no image stored"
    run_skiff "${S[@]}" image prune -a -f
    local left
    left=$(find "$ROOT/blobs" -type f 2>/dev/null; find "$ROOT/layers" "$ROOT/tmp" -mindepth 1 -maxdepth 1 2>/dev/null || true)
    assert_equal "$left" "" "layers, blobs or temporaries left in the store"
}

# The store still works: a good pull, then prune of everything.
assert_store_usable() {
    run_skiff "${S[@]}" pull -q "$SKIFF_REG_PLAIN/skiff/busybox:latest"
    assert_match "$output" '^[0-9a-f]{64}$' "a later pull works"
    run_skiff "${S[@]}" rmi "$SKIFF_REG_PLAIN/skiff/busybox:latest"
    assert_store_empty
}

@test "pull: a blob corrupted in the registry fails with a digest error, no trace" {
    # The rig really serves bad bytes for it (this checks the rig, not skiff).
    local got
    got=$(curl -sf "http://$SKIFF_REG_PLAIN/v2/skiff/corrupt/blobs/$SKIFF_DIGEST_CORRUPT_LAYER" | sha256sum)
    assert "sha256:${got%% *}" '!=' "$SKIFF_DIGEST_CORRUPT_LAYER" "the rig's blob is corrupted"

    run_skiff 125 "${S[@]}" pull -q "$SKIFF_REG_PLAIN/skiff/corrupt:latest"
    assert_contains "$output" "skiff/corrupt"
    assert_contains "$output" "$SKIFF_DIGEST_CORRUPT_LAYER"
    assert_contains "$output" "digest mismatch"
    assert_contains "$output" "sha256:${got%% *}" "the error names the digest of what was received"
    assert_store_empty
    [[ -z "$(find "$ROOT" -name "*${SKIFF_DIGEST_CORRUPT_LAYER#sha256:}*" 2>/dev/null)" ]] ||
        die "the corrupted blob is in the store: $(find "$ROOT" -name "*${SKIFF_DIGEST_CORRUPT_LAYER#sha256:}*")"
    # Again: nothing cached makes the second attempt pass or fail differently.
    run_skiff 125 "${S[@]}" pull -q "$SKIFF_REG_PLAIN/skiff/corrupt:latest"
    assert_contains "$output" "digest mismatch"
    assert_store_usable
}

# check_hostile NAME EXPECTED_ERROR: pulling skiff/evil-NAME fails with
# EXPECTED_ERROR, writes nothing outside, stores nothing.
check_hostile() {
    local name=$1 expected=$2 target=$ESCAPE_DIR/skiff-evil-$1-escaped
    rm -f "$target" 2>/dev/null || true
    [[ ! -e $target ]] || skip "$target exists and is not ours to remove"
    local before
    before=$(sha256sum /etc/passwd)
    run_skiff 125 "${S[@]}" pull -q "$SKIFF_REG_PLAIN/skiff/evil-$name:latest"
    assert_contains "$output" "skiff/evil-$name"
    assert_contains "$output" "$expected"
    [[ ! -e $target ]] || die "the layer wrote $target outside the store"
    assert_equal "$(sha256sum /etc/passwd)" "$before" "/etc/passwd unchanged"
    assert_store_empty
    assert_store_usable
}

@test "pull: a layer entry with ../ is refused" {
    check_hostile dotdot "escapes the root via '..'"
}

@test "pull: a layer that writes through a symlink out of the root is refused" {
    check_hostile symlink "a symlink leading nowhere inside the root"
}

@test "pull: a layer that hard-links a host file is refused" {
    check_hostile hardlink "hardlink target"
}

@test "pull: an absolute entry name stays inside the image" {
    local target=$ESCAPE_DIR/skiff-evil-absolute-escaped
    rm -f "$target" 2>/dev/null || true
    [[ ! -e $target ]] || skip "$target exists and is not ours to remove"
    # Like docker, podman and umoci: '/tmp/x' in a layer is the image's /tmp/x.
    run_skiff "${S[@]}" pull -q "$SKIFF_REG_PLAIN/skiff/evil-absolute:latest"
    assert_match "$output" '^[0-9a-f]{64}$'
    [[ ! -e $target ]] || die "the layer wrote $target outside the store"
    local inside
    inside=$(find "$ROOT/layers" -path "*/tmp/skiff-evil-absolute-escaped" 2>/dev/null)
    [[ -n $inside ]] || die "the file is not in the image's layer: $(find "$ROOT/layers" | head -20)"
    assert_equal "$(cat "$inside")" "absolute name"
    run_skiff "${S[@]}" rmi "$SKIFF_REG_PLAIN/skiff/evil-absolute:latest"
    assert_store_empty
}
