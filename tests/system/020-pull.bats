#!/usr/bin/env bats
#
# skiff pull and login/logout against the rig's registries: by tag, by
# digest, multi-arch selection, the TLS registry with credentials, agreement
# with skopeo, and clean failures. Runs as root and as an unprivileged user;
# every skiff call uses a store under BATS_FILE_TMPDIR.

load helpers

setup_file() {
    # certs.d for the TLS registry's CA, under this file's XDG_CONFIG_HOME.
    if [[ -n "${SKIFF_REG_TLS:-}" ]]; then
        mkdir -p "$XDG_CONFIG_HOME/containers/certs.d/$SKIFF_REG_TLS"
        cp "$SKIFF_REG_CA" "$XDG_CONFIG_HOME/containers/certs.d/$SKIFF_REG_TLS/ca.crt"
    fi
}

setup() {
    basic_setup
    require_rig
    S=(--root "$BATS_FILE_TMPDIR/root" --runroot "$BATS_FILE_TMPDIR/run")
    AUTH=$BATS_FILE_TMPDIR/auth.json
}

@test "pull: by tag prints the image ID, which inspect and images agree on" {
    run_skiff "${S[@]}" pull -q "$SKIFF_REG_PLAIN/skiff/busybox:latest"
    assert_match "$output" '^[0-9a-f]{64}$' "pull prints the 64-hex image ID"
    local id=$output
    run_skiff "${S[@]}" inspect --format '{{.Id}} {{.Digest}}' "$SKIFF_REG_PLAIN/skiff/busybox"
    assert_equal "$output" "sha256:$id $SKIFF_DIGEST_BUSYBOX"
    run_skiff "${S[@]}" images -q
    assert_contains "$output" "${id:0:12}"
}

@test "pull: by digest" {
    run_skiff "${S[@]}" pull -q "$SKIFF_REG_PLAIN/skiff/multilayer@$SKIFF_DIGEST_MULTILAYER"
    local id=$output
    run_skiff "${S[@]}" inspect --format '{{.Digest}}' "$id"
    assert_equal "$output" "$SKIFF_DIGEST_MULTILAYER"
}

@test "pull: progress goes to stderr, only the ID to stdout" {
    run --separate-stderr timeout 120 "$SKIFF_BIN" "${S[@]}" pull "$SKIFF_REG_PLAIN/skiff/busybox:latest"
    assert_equal "$status" 0
    assert_match "$output" '^[0-9a-f]{64}$'
}

@test "pull: multi-arch picks this host's platform, --platform another" {
    local arch
    arch=$(uname -m)
    [[ $arch == x86_64 ]] || skip "the fixture's default is checked on amd64 hosts"
    run_skiff "${S[@]}" pull -q "$SKIFF_REG_PLAIN/skiff/multiarch:latest"
    run_skiff "${S[@]}" inspect --format '{{.Architecture}} {{.Digest}}' "$SKIFF_REG_PLAIN/skiff/multiarch:latest"
    assert_equal "$output" "amd64 $SKIFF_DIGEST_MULTIARCH_AMD64"
    run_skiff "${S[@]}" pull -q --platform linux/arm64 "$SKIFF_REG_PLAIN/skiff/multiarch:latest"
    run_skiff "${S[@]}" inspect --format '{{.Architecture}} {{.Digest}}' "$SKIFF_REG_PLAIN/skiff/multiarch:latest"
    assert_equal "$output" "arm64 $SKIFF_DIGEST_MULTIARCH_ARM64"
}

@test "pull: skopeo inspect agrees on digest and layers" {
    command -v skopeo >/dev/null || skip "skopeo is not installed"
    local ref=$SKIFF_REG_PLAIN/skiff/multilayer:latest
    run_skiff "${S[@]}" pull -q "$ref"
    run rig_skopeo inspect --tls-verify=false "docker://$ref"
    assert_equal "$status" 0 "skopeo inspect: $output"
    local sk=$output
    run_skiff "${S[@]}" inspect "$ref"
    assert_equal "$(jq -r '.[0].Digest' <<<"$output")" "$(jq -r .Digest <<<"$sk")" "manifest digest"
    assert_equal "$(jq -r '.[0].Architecture' <<<"$output")" "$(jq -r .Architecture <<<"$sk")" "architecture"
    local n
    n=$(jq -r '.[0].RootFS.Layers | length' <<<"$output")
    assert_equal "$n" "$(jq -r '.Layers | length' <<<"$sk")" "layer count"
}

@test "pull: a missing image fails clearly and stores nothing" {
    run_skiff 125 --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" \
        pull -q "$SKIFF_REG_PLAIN/skiff/no-such-image:latest"
    assert_contains "$output" "no-such-image"
    assert_contains "$output" "$SKIFF_REG_PLAIN"
    run_skiff --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" images -q
    assert_equal "$output" ""
}

@test "login: a wrong password is refused and nothing is stored" {
    run_skiff 125 login --authfile "$AUTH" -u "$SKIFF_REG_USER" -p wrong "$SKIFF_REG_TLS"
    assert_contains "$output" "authentication failed for $SKIFF_REG_TLS"
    [[ ! -e $AUTH ]] || assert_equal "$(jq -r '.auths | length' "$AUTH")" 0 "nothing stored"
}

@test "login: a missing password is an error when stdin is not a terminal" {
    run_skiff 125 login --authfile "$AUTH" -u "$SKIFF_REG_USER" "$SKIFF_REG_TLS" </dev/null
    assert_contains "$output" "password"
}

@test "login, pull from the TLS registry, logout" {
    run_skiff 125 "${S[@]}" pull -q --authfile "$BATS_TEST_TMPDIR/none.json" "$SKIFF_REG_TLS/skiff/busybox:latest"
    run timeout 60 "$SKIFF_BIN" login --authfile "$AUTH" -u "$SKIFF_REG_USER" --password-stdin "$SKIFF_REG_TLS" \
        <<<"$SKIFF_REG_PASS"
    assert_equal "$status" 0 "login: $output"
    assert_equal "$output" "Login Succeeded!"
    assert_equal "$(stat -c %a "$AUTH")" 600 "auth file mode"
    run_skiff login --authfile "$AUTH" --get-login "$SKIFF_REG_TLS"
    assert_equal "$output" "$SKIFF_REG_USER"
    run_skiff "${S[@]}" pull -q --authfile "$AUTH" "$SKIFF_REG_TLS/skiff/busybox:latest"
    assert_match "$output" '^[0-9a-f]{64}$'
    run_skiff logout --authfile "$AUTH" "$SKIFF_REG_TLS"
    run_skiff 125 logout --authfile "$AUTH" "$SKIFF_REG_TLS"
    assert_contains "$output" "not logged into"
    run_skiff 125 "${S[@]}" pull -q --authfile "$AUTH" "$SKIFF_REG_TLS/skiff/multilayer:latest"
}

@test "login: the default auth file is under XDG_RUNTIME_DIR" {
    [[ -n "${XDG_RUNTIME_DIR:-}" ]] || skip "XDG_RUNTIME_DIR is not set"
    is_rootless || skip "root's default is /run/containers/0"
    local rt=$BATS_TEST_TMPDIR/rt
    mkdir -m 0700 "$rt"
    XDG_RUNTIME_DIR=$rt run timeout 60 "$SKIFF_BIN" login -u "$SKIFF_REG_USER" -p "$SKIFF_REG_PASS" "$SKIFF_REG_TLS"
    assert_equal "$status" 0 "$output"
    [[ -f $rt/containers/auth.json ]] || die "no $rt/containers/auth.json"
    XDG_RUNTIME_DIR=$rt run timeout 60 "$SKIFF_BIN" logout --all
    assert_equal "$status" 0 "$output"
}
