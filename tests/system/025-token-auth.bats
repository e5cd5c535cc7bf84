#!/usr/bin/env bats
#
# Docker Hub's way of authenticating, against the rig's "token" registry
# (distribution's `auth: token`) and its token issuer (tests/rig/token-issuer.py):
# anonymous pulls where the issuer allows them (public/*), a clear refusal
# where it does not, a wrong password refused by the issuer, and pulls after
# `skiff login` with one token serving every request of a pull.
# Runs as root and as an unprivileged user; stores under BATS_FILE_TMPDIR.

load helpers

setup_file() {
    # Both the registry and the issuer serve the rig CA's certificate.
    local h
    for h in ${SKIFF_REG_TOKEN:-} ${SKIFF_TOKEN_ISSUER:-}; do
        mkdir -p "$XDG_CONFIG_HOME/containers/certs.d/$h"
        cp "$SKIFF_REG_CA" "$XDG_CONFIG_HOME/containers/certs.d/$h/ca.crt"
    done
}

setup() {
    basic_setup
    require_rig
    [[ -n "${SKIFF_REG_TOKEN:-}" ]] || skip "the rig has no token registry (old rig.env?)"
    S=(--root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run")
    AUTH=$BATS_TEST_TMPDIR/auth.json
    NOAUTH=$BATS_TEST_TMPDIR/none.json
}

teardown() {
    local rc=0
    basic_teardown || rc=1
    remove_store "$BATS_TEST_TMPDIR/root"
    return $rc
}

# The issuer's request log: one line per token request, shared by every test
# run against this rig. mark remembers its length; since_mark prints what came after.
mark() { MARK=$(wc -l <"$SKIFF_TOKEN_REQUESTS"); }
since_mark() { tail -n +"$((MARK + 1))" "$SKIFF_TOKEN_REQUESTS"; }

@test "token: anonymous pull of a public image" {
    mark
    run_skiff "${S[@]}" pull -q --authfile "$NOAUTH" "$SKIFF_REG_TOKEN/public/busybox:latest"
    assert_match "$output" '^[0-9a-f]{64}$'
    run_skiff "${S[@]}" inspect --format '{{.Digest}}' "$SKIFF_REG_TOKEN/public/busybox:latest"
    assert_equal "$output" "$SKIFF_DIGEST_BUSYBOX"
    # It went through the issuer: an anonymous token with pull on the repository.
    assert_equal "$(since_mark)" \
        "token user=- scope=repository:public/busybox:pull granted=public/busybox:pull" "issuer requests"
}

@test "token: a private image without login fails clearly and stores nothing" {
    mark
    run_skiff 125 "${S[@]}" pull -q --authfile "$NOAUTH" "$SKIFF_REG_TOKEN/private/busybox:latest"
    assert_contains "$output" "private/busybox"
    assert_contains "$output" "denied"
    assert_contains "$output" "skiff login $SKIFF_REG_TOKEN"
    # The issuer was asked (anonymously) and granted nothing.
    assert_contains "$(since_mark)" "token user=- scope=repository:private/busybox:pull granted=-"
    run_skiff "${S[@]}" images -q
    assert_equal "$output" "" "no image stored"
}

@test "token: login with a wrong password is refused by the issuer" {
    mark
    run_skiff 125 login --authfile "$AUTH" -u "$SKIFF_REG_USER" -p wrong-password "$SKIFF_REG_TOKEN"
    assert_contains "$output" "authentication failed for $SKIFF_REG_TOKEN"
    assert_contains "$output" "incorrect username or password"
    assert_contains "$(since_mark)" "refused user=$SKIFF_REG_USER"
    [[ ! -e $AUTH ]] || assert_equal "$(jq -r '.auths | length' "$AUTH")" 0 "nothing stored"
}

@test "token: a stored password that is wrong fails the pull as such" {
    run_skiff login --authfile "$AUTH" -u "$SKIFF_REG_USER" -p "$SKIFF_REG_PASS" "$SKIFF_REG_TOKEN"
    # The password changed since the login (here: the auth file is edited).
    local bad
    bad=$(printf '%s' "$SKIFF_REG_USER:not-the-password" | base64 -w0)
    jq --arg h "$SKIFF_REG_TOKEN" --arg a "$bad" '.auths[$h].auth = $a' "$AUTH" >"$AUTH.new"
    mv "$AUTH.new" "$AUTH"
    run_skiff 125 "${S[@]}" pull -q --authfile "$AUTH" "$SKIFF_REG_TOKEN/private/busybox:latest"
    assert_contains "$output" "authentication failed for $SKIFF_REG_TOKEN"
    assert_contains "$output" "incorrect username or password"
    run_skiff "${S[@]}" images -q
    assert_equal "$output" "" "no image stored"
}

@test "token: after login private images pull, one token per pull" {
    run timeout 60 "$SKIFF_BIN" login --authfile "$AUTH" -u "$SKIFF_REG_USER" --password-stdin \
        "$SKIFF_REG_TOKEN" <<<"$SKIFF_REG_PASS"
    assert_equal "$status" 0 "login: $output"
    assert_equal "$output" "Login Succeeded!"
    run_skiff login --authfile "$AUTH" --get-login "$SKIFF_REG_TOKEN"
    assert_equal "$output" "$SKIFF_REG_USER"

    # multilayer: a manifest, a config and four layers, all with one token.
    mark
    run_skiff "${S[@]}" pull -q --authfile "$AUTH" "$SKIFF_REG_TOKEN/private/multilayer:latest"
    assert_match "$output" '^[0-9a-f]{64}$'
    assert_equal "$(since_mark)" \
        "token user=$SKIFF_REG_USER scope=repository:private/multilayer:pull granted=private/multilayer:pull" \
        "one token request for the whole pull"
    run_skiff "${S[@]}" inspect "$SKIFF_REG_TOKEN/private/multilayer:latest"
    assert_equal "$(jq -r '.[0] | "\(.Digest) \(.RootFS.Layers | length)"' <<<"$output")" \
        "$SKIFF_DIGEST_MULTILAYER 4" "digest and layer count"

    # Again, and another private repository: the login still works.
    run_skiff "${S[@]}" pull -q --authfile "$AUTH" "$SKIFF_REG_TOKEN/private/multilayer:latest"
    assert_match "$output" '^[0-9a-f]{64}$'
    run_skiff "${S[@]}" pull -q --authfile "$AUTH" "$SKIFF_REG_TOKEN/private/busybox:latest"
    assert_match "$output" '^[0-9a-f]{64}$'
    run_skiff "${S[@]}" images --format '{{.Repository}}'
    assert_contains "$output" "$SKIFF_REG_TOKEN/private/multilayer"
    assert_contains "$output" "$SKIFF_REG_TOKEN/private/busybox"

    run_skiff logout --authfile "$AUTH" "$SKIFF_REG_TOKEN"
    run_skiff 125 "${S[@]}" pull -q --authfile "$AUTH" "$SKIFF_REG_TOKEN/private/multilayer:latest"
    assert_contains "$output" "denied"
}
