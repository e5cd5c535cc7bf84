#!/usr/bin/env bats
#
# Local image commands: images (table, -q, json, templates, filters),
# inspect, tag/rmi round trips, history, and image prune after a killed pull.
# Runs as root and as an unprivileged user with a store under BATS_FILE_TMPDIR.

load helpers

setup() {
    basic_setup
    require_rig
    S=(--root "$BATS_FILE_TMPDIR/root" --runroot "$BATS_FILE_TMPDIR/run")
    run_skiff "${S[@]}" pull -q "$IMAGE"
    ID=$output
}

@test "images: table, -q, --format json and templates" {
    run_skiff "${S[@]}" images
    assert_match "${lines[0]}" '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$'
    assert_match "$output" "$SKIFF_REG_PLAIN/skiff/busybox +latest +${ID:0:12} +.* ago +[0-9.]+ [kMG]?B"
    run_skiff "${S[@]}" images -q
    assert_contains "$output" "${ID:0:12}"
    run_skiff "${S[@]}" images --format json
    jq -e . >/dev/null <<<"$output" || die "not JSON"
    assert_contains "$(jq -r '.[].Id' <<<"$output")" "$ID"
    run_skiff "${S[@]}" images --format '{{.Repository}}:{{.Tag}}'
    assert_contains "$output" "$SKIFF_REG_PLAIN/skiff/busybox:latest"
    run_skiff 125 "${S[@]}" images --format '{{.NoSuchField}}'
    assert_contains "$output" "NoSuchField"
    run_skiff "${S[@]}" image ls --filter reference='*busybox*' -q
    assert_contains "$output" "${ID:0:12}"
    run_skiff "${S[@]}" image list --filter reference=nomatch -q
    assert_equal "$output" ""
}

@test "inspect: Docker-compatible fields" {
    run_skiff "${S[@]}" image inspect "$IMAGE"
    jq -e '.[0] | .Id and .RepoTags and .RootFS.Layers and .Config and .Os and .Architecture' <<<"$output" >/dev/null ||
        die "missing fields"
    assert_equal "$(jq -r '.[0].Id' <<<"$output")" "sha256:$ID"
    assert_equal "$(jq -r '.[0].RootFS.Type' <<<"$output")" "layers"
    run_skiff 125 "${S[@]}" inspect no-such-thing
    assert_contains "$output" "no such object"
}

@test "tag and rmi: round trip" {
    run_skiff "${S[@]}" tag "$IMAGE" mybox "$SKIFF_REG_PLAIN/other/name:v1"
    run_skiff "${S[@]}" images --format '{{.Repository}}:{{.Tag}}'
    assert_contains "$output" "localhost/mybox:latest"
    assert_contains "$output" "$SKIFF_REG_PLAIN/other/name:v1"
    run_skiff "${S[@]}" rmi mybox
    assert_equal "$output" "Untagged: localhost/mybox:latest"
    run_skiff "${S[@]}" image rm "$SKIFF_REG_PLAIN/other/name:v1"
    assert_equal "$output" "Untagged: $SKIFF_REG_PLAIN/other/name:v1"
    run_skiff "${S[@]}" images -q
    assert_contains "$output" "${ID:0:12}" "the image stays while it has a tag"
    run_skiff 125 "${S[@]}" rmi no-such-image "$IMAGE"
    assert_contains "$output" "no-such-image: image not known"
    assert_contains "$output" "Deleted: $ID" "the other images are still removed"
    run_skiff "${S[@]}" images -q
    assert_equal "$output" ""
    run_skiff 125 "${S[@]}" rmi "$IMAGE"
}

@test "history: one row per step, newest first" {
    run_skiff "${S[@]}" history "$IMAGE"
    assert_match "${lines[0]}" '^ID +CREATED +CREATED BY +SIZE +COMMENT$'
    assert_match "${lines[1]}" "^${ID:0:12} "
    run_skiff "${S[@]}" image history --format json "$IMAGE"
    jq -e . >/dev/null <<<"$output" || die "not JSON"
}

@test "image prune: after a killed pull the store stays usable" {
    local root=$BATS_TEST_TMPDIR/root run=$BATS_TEST_TMPDIR/run
    "$SKIFF_BIN" --root "$root" --runroot "$run" pull -q "$SKIFF_REG_PLAIN/skiff/multilayer:latest" \
        >/dev/null 2>&1 &
    local pid=$!
    sleep 0.3
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    run_skiff --root "$root" --runroot "$run" image prune -f
    run_skiff --root "$root" --runroot "$run" pull -q "$SKIFF_REG_PLAIN/skiff/multilayer:latest"
    assert_match "$output" '^[0-9a-f]{64}$'
    run_skiff --root "$root" --runroot "$run" rmi "$SKIFF_REG_PLAIN/skiff/multilayer:latest"
    run_skiff --root "$root" --runroot "$run" image prune -a -f
    [[ -z "$(ls -A "$root/layers" 2>/dev/null | grep -v '^tmp-')" ]] || die "layers left: $(ls "$root/layers")"
}
