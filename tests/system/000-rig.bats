#!/usr/bin/env bats
#
# The test rig itself: fixtures, registries, TLS, auth and the helpers.
# If these fail, every later skiff test failure is suspect.

load helpers

RIG_SRC=$BATS_TEST_DIRNAME/../rig

# skopeo against the plain (HTTP) or TLS (CA + basic auth) registry.
skopeo_plain() { rig_skopeo "$@" --tls-verify=false; }
skopeo_tls() {
    rig_skopeo "$@" --cert-dir "$SKIFF_REG_CERTDIR" --creds "$SKIFF_REG_USER:$SKIFF_REG_PASS"
}

setup() {
    basic_setup
    require_rig
}

@test "rig: rig.env defines everything the tests rely on" {
    local var
    for var in SKIFF_REG_PLAIN SKIFF_REG_TLS SKIFF_REG_USER SKIFF_REG_PASS \
        SKIFF_REG_CA SKIFF_REG_CERTDIR SKIFF_FIXTURES SKIFF_DIGEST_BUSYBOX \
        SKIFF_DIGEST_MULTILAYER SKIFF_DIGEST_MULTIARCH SKIFF_DIGEST_MULTIARCH_ARM64 \
        SKIFF_REG_TOKEN SKIFF_TOKEN_ISSUER SKIFF_TOKEN_SERVICE SKIFF_TOKEN_REQUESTS \
        SKIFF_DIGEST_CORRUPT SKIFF_DIGEST_CORRUPT_LAYER SKIFF_DIGEST_EVIL_DOTDOT; do
        assert "${!var:-}" != "" "$var is set"
    done
    assert_match "$SKIFF_REG_PLAIN" '^127\.0\.0\.1:[0-9]+$' "plain registry address"
    assert_match "$SKIFF_REG_TLS" '^127\.0\.0\.1:[0-9]+$' "TLS registry address"
    assert "$SKIFF_REG_PLAIN" != "$SKIFF_REG_TLS" "registries use different ports"
    # The rootless run reads these as another user.
    [[ -r "$SKIFF_REG_CA" ]] || die "CA $SKIFF_REG_CA not readable by $(id -un)"
    [[ -r "$SKIFF_REG_CERTDIR/ca.crt" ]] || die "cert dir lacks ca.crt"
    [[ -r "$SKIFF_FIXTURES/busybox/index.json" ]] || die "fixtures not readable"
    [[ -r "$SKIFF_TOKEN_REQUESTS" ]] || die "the issuer's request log is not readable"
}

@test "rig: SKIFF_BIN is an executable that answers --help" {
    [[ -x "$SKIFF_BIN" ]] || die "SKIFF_BIN=$SKIFF_BIN is not executable"
    run_skiff --help
    assert "$output" != "" "skiff --help prints something"
}

@test "rig: fixture layouts are valid and have the promised config" {
    run rig_skopeo inspect --config "oci:$SKIFF_FIXTURES/busybox:latest"
    assert "$status" -eq 0 "skopeo reads the busybox layout: $output"
    assert_equal "$(jq -r .architecture <<<"$output")" amd64
    assert_equal "$(jq -r .os <<<"$output")" linux
    assert_equal "$(jq -c .config.Cmd <<<"$output")" '["sh"]'
    assert_equal "$(jq -r .config.WorkingDir <<<"$output")" /
    assert_contains "$(jq -r '.config.Env[]' <<<"$output")" "FIXTURE=busybox"
    assert_contains "$(jq -r '.config.Env[]' <<<"$output")" \
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert_equal "$(jq -c '.config.ExposedPorts' <<<"$output")" '{"8080/tcp":{}}'

    # Layers are gzip OCI layers with the digests and sizes the manifest claims.
    local layout=$SKIFF_FIXTURES/multilayer manifest blob
    manifest=$(jq -r '.manifests[0].digest' "$layout/index.json")
    blob=$layout/blobs/sha256/${manifest#sha256:}
    assert_equal "$(jq -r .mediaType "$blob")" application/vnd.oci.image.manifest.v1+json
    assert "$(jq '.layers | length' "$blob")" -ge 4 "multilayer has 4+ layers"
    local digest size mt
    while read -r digest size mt; do
        assert_equal "$mt" application/vnd.oci.image.layer.v1.tar+gzip "layer media type"
        assert_equal "$(sha256sum <"$layout/blobs/sha256/${digest#sha256:}" | cut -d' ' -f1)" \
            "${digest#sha256:}" "layer digest"
        assert_equal "$(stat -c %s "$layout/blobs/sha256/${digest#sha256:}")" "$size" "layer size"
    done < <(jq -r '.layers[] | "\(.digest) \(.size) \(.mediaType)"' "$blob")
}

@test "rig: fixtures are reproducible (same digests when rebuilt)" {
    python3 "$RIG_SRC/mkimage.py" "$BATS_TEST_TMPDIR/fx" >/dev/null
    run jq -S . "$BATS_TEST_TMPDIR/fx/digests.json"
    local again=$output
    run jq -S . "$SKIFF_FIXTURES/digests.json"
    assert_equal "$again" "$output" "digests of a rebuild"
}

@test "rig: busybox pulls from the plain registry with the fixture's digest" {
    run skopeo_plain inspect "docker://$SKIFF_REG_PLAIN/skiff/busybox:latest"
    assert "$status" -eq 0 "skopeo inspect: $output"
    assert_equal "$(jq -r .Digest <<<"$output")" "$SKIFF_DIGEST_BUSYBOX"
    assert_equal "$(jq -r .Architecture <<<"$output")" amd64

    run skopeo_plain copy -q "docker://$SKIFF_REG_PLAIN/skiff/busybox:latest" \
        "oci:$BATS_TEST_TMPDIR/bb:latest"
    assert "$status" -eq 0 "skopeo copy: $output"
    [[ -s "$BATS_TEST_TMPDIR/bb/index.json" ]] || die "no layout written"

    # The Docker schema2 flavour of the same image.
    run skopeo_plain inspect --raw "docker://$SKIFF_REG_PLAIN/skiff/busybox-docker:latest"
    assert "$status" -eq 0 "skopeo inspect busybox-docker: $output"
    assert_equal "$(jq -r .mediaType <<<"$output")" \
        application/vnd.docker.distribution.manifest.v2+json
}

@test "rig: busybox and multilayer pull from the TLS registry with credentials" {
    local repo digest
    for repo in busybox multilayer; do
        run skopeo_tls inspect "docker://$SKIFF_REG_TLS/skiff/$repo:latest"
        assert "$status" -eq 0 "skopeo inspect $repo over TLS: $output"
        digest=SKIFF_DIGEST_${repo^^}
        assert_equal "$(jq -r .Digest <<<"$output")" "${!digest}" "$repo digest"
        run rig_skopeo copy -q --src-cert-dir "$SKIFF_REG_CERTDIR" \
            --src-creds "$SKIFF_REG_USER:$SKIFF_REG_PASS" \
            "docker://$SKIFF_REG_TLS/skiff/$repo:latest" "oci:$BATS_TEST_TMPDIR/$repo:latest"
        assert "$status" -eq 0 "skopeo copy $repo over TLS: $output"
    done
}

@test "rig: multilayer content has whiteouts, opaque dir, links, setuid and owners" {
    run skopeo_plain copy -q "docker://$SKIFF_REG_PLAIN/skiff/multilayer:latest" \
        "oci:$BATS_TEST_TMPDIR/ml:latest"
    assert "$status" -eq 0 "skopeo copy: $output"

    local -a rootless=()
    is_rootless && rootless=(--rootless)
    run umoci unpack "${rootless[@]}" --image "$BATS_TEST_TMPDIR/ml:latest" "$BATS_TEST_TMPDIR/b"
    assert "$status" -eq 0 "umoci unpack: $output"
    local r=$BATS_TEST_TMPDIR/b/rootfs

    [[ -x $r/bin/busybox && -L $r/bin/sh ]] || die "busybox base layer missing"
    [[ ! -e $r/data/to-delete ]] || die "whiteout .wh.to-delete not applied"
    [[ ! -e $r/etc/hostname ]] || die "whiteout of a base-layer file not applied"
    assert_equal "$(ls -A "$r/data/opaque")" "upper-new" "opaque dir hides lower files"
    assert_equal "$(readlink "$r/data/symlink")" "owned-tester" "relative symlink"
    assert_equal "$(stat -c %i "$r/data/hardlink")" "$(stat -c %i "$r/data/hardlink-target")" \
        "hardlink shares the inode"
    assert_equal "$(cat "$r/data/owned-root")" "root, modified in layer 3" "upper layer wins"
    [[ -f $r/data/nested/a/b/c/deeper/leaf.txt ]] || die "nested dir missing"
    if ! is_rootless; then
        # umoci --rootless maps every owner to us and drops setuid; check as root.
        assert_equal "$(stat -c %a "$r/usr/local/bin/suid-tool")" 4755 "setuid mode"
        assert_equal "$(stat -c %u:%g "$r/data/owned-tester")" 1000:1000
        assert_equal "$(stat -c %u:%g "$r/data/owned-nobody")" 65534:65534
        assert_equal "$(stat -c %u:%g "$r/data/owned-root")" 0:0
        assert_equal "$(stat -c %a "$r/tmp")" 1777 "/tmp is sticky"
    fi
}

@test "rig: multiarch is an index with amd64 and arm64, selectable by platform" {
    run skopeo_plain inspect --raw "docker://$SKIFF_REG_PLAIN/skiff/multiarch:latest"
    assert "$status" -eq 0 "skopeo inspect --raw: $output"
    assert_equal "$(jq -r .mediaType <<<"$output")" application/vnd.oci.image.index.v1+json
    assert_equal "$(jq '.manifests | length' <<<"$output")" 2 "manifests in the index"
    assert_equal "$(jq -r '[.manifests[].platform.architecture] | sort | join(",")' <<<"$output")" \
        "amd64,arm64" "platforms"

    # Default platform on this host is amd64.  (skopeo's .Digest is the
    # index digest; the per-platform digest is checked on the copies below.)
    run skopeo_plain inspect "docker://$SKIFF_REG_PLAIN/skiff/multiarch:latest"
    assert "$status" -eq 0 "$output"
    assert_equal "$(jq -r .Architecture <<<"$output")" amd64
    assert_equal "$(jq -r .Digest <<<"$output")" "$SKIFF_DIGEST_MULTIARCH" "index digest"

    run skopeo_plain --override-arch arm64 inspect "docker://$SKIFF_REG_PLAIN/skiff/multiarch:latest"
    assert "$status" -eq 0 "$output"
    assert_equal "$(jq -r .Architecture <<<"$output")" arm64

    # Copying one platform picks that platform's manifest, whose marker file
    # /etc/arch names the architecture.
    local arch layer manifest want
    for arch in arm64 amd64; do
        run skopeo_plain --override-arch "$arch" copy -q \
            "docker://$SKIFF_REG_PLAIN/skiff/multiarch:latest" "oci:$BATS_TEST_TMPDIR/$arch:latest"
        assert "$status" -eq 0 "skopeo copy $arch: $output"
        manifest=$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/$arch/index.json")
        want=SKIFF_DIGEST_MULTIARCH_${arch^^}
        assert_equal "$manifest" "${!want}" "$arch manifest digest"
        layer=$(jq -r '.layers[-1].digest' \
            "$BATS_TEST_TMPDIR/$arch/blobs/sha256/${manifest#sha256:}" | cut -d: -f2)
        assert_equal "$(tar -xzOf "$BATS_TEST_TMPDIR/$arch/blobs/sha256/$layer" etc/arch)" \
            "$arch" "/etc/arch in the $arch image"
    done

    # The whole index copies too (what a registry mirror would do).
    run skopeo_plain copy -q --all "docker://$SKIFF_REG_PLAIN/skiff/multiarch:latest" \
        "oci:$BATS_TEST_TMPDIR/all:latest"
    assert "$status" -eq 0 "skopeo copy --all: $output"
}

@test "rig: TLS registry refuses a wrong password and anonymous access" {
    local ref=docker://$SKIFF_REG_TLS/skiff/busybox:latest
    run rig_skopeo inspect --cert-dir "$SKIFF_REG_CERTDIR" --creds "$SKIFF_REG_USER:wrong-password" "$ref"
    assert "$status" -ne 0 "wrong password must fail"
    assert_match "$output" "unauthorized|authentication required|401" "auth error message"

    run rig_skopeo inspect --cert-dir "$SKIFF_REG_CERTDIR" --no-creds "$ref"
    assert "$status" -ne 0 "anonymous access must fail"
    assert_match "$output" "unauthorized|authentication required|401" "anonymous error message"

    # The registry itself asks for basic auth on /v2/.
    run curl -s -o /dev/null -w '%{http_code}' --cacert "$SKIFF_REG_CA" "https://$SKIFF_REG_TLS/v2/"
    assert_equal "$output" 401 "anonymous /v2/"
    run curl -s -o /dev/null -w '%{http_code}' --cacert "$SKIFF_REG_CA" \
        -u "$SKIFF_REG_USER:$SKIFF_REG_PASS" "https://$SKIFF_REG_TLS/v2/"
    assert_equal "$output" 200 "authenticated /v2/"
}

# token URL [CURL ARGS...]: a token from the rig's issuer (empty on failure).
issuer_token() {
    curl -sf --cacert "$SKIFF_REG_CA" "$@" \
        "https://$SKIFF_TOKEN_ISSUER/token?service=$SKIFF_TOKEN_SERVICE&scope=$scope" | jq -r .token
}

@test "rig: token registry trusts only its issuer's tokens, issuer checks passwords" {
    [[ -n "${SKIFF_REG_TOKEN:-}" ]] || die "rig.env has no SKIFF_REG_TOKEN"
    local scope url tok
    local oci=(-H "Accept: application/vnd.oci.image.manifest.v1+json")
    # The registry asks for a bearer token from the issuer.
    run curl -s -D - -o /dev/null --cacert "$SKIFF_REG_CA" "https://$SKIFF_REG_TOKEN/v2/"
    assert_contains "$output" "401"
    assert_contains "$output" "Bearer realm=\"https://$SKIFF_TOKEN_ISSUER/token\",service=\"$SKIFF_TOKEN_SERVICE\""

    # Anonymous: pull on public/*, nothing on the private repositories.
    scope=repository:public/busybox:pull
    url=https://$SKIFF_REG_TOKEN/v2/public/busybox/manifests/latest
    tok=$(issuer_token)
    run curl -s -o /dev/null -w '%{http_code}' --cacert "$SKIFF_REG_CA" "${oci[@]}" -H "Authorization: Bearer $tok" "$url"
    assert_equal "$output" 200 "anonymous token, public repository"
    scope=repository:private/busybox:pull
    url=https://$SKIFF_REG_TOKEN/v2/private/busybox/manifests/latest
    tok=$(issuer_token)
    run curl -s -o /dev/null -w '%{http_code}' --cacert "$SKIFF_REG_CA" "${oci[@]}" -H "Authorization: Bearer $tok" "$url"
    assert_equal "$output" 401 "anonymous token, private repository"

    # With the credentials: the private repository too; a wrong password: 401.
    tok=$(issuer_token -u "$SKIFF_REG_USER:$SKIFF_REG_PASS")
    run curl -s -o /dev/null -w '%{http_code}' --cacert "$SKIFF_REG_CA" "${oci[@]}" -H "Authorization: Bearer $tok" "$url"
    assert_equal "$output" 200 "token with credentials, private repository"
    run curl -s -o /dev/null -w '%{http_code}' --cacert "$SKIFF_REG_CA" -u "$SKIFF_REG_USER:wrong" \
        "https://$SKIFF_TOKEN_ISSUER/token?service=$SKIFF_TOKEN_SERVICE&scope=$scope"
    assert_equal "$output" 401 "issuer with a wrong password"

    # A token the issuer did not sign (its signature altered) is refused.
    run curl -s -o /dev/null -w '%{http_code}' --cacert "$SKIFF_REG_CA" \
        "${oci[@]}" -H "Authorization: Bearer ${tok%.*}.AAAA${tok##*.}" "$url"
    assert_equal "$output" 401 "forged token"
}

@test "rig: corrupted blob and hostile fixtures are in the plain registry" {
    local got name
    got=$(curl -sf "http://$SKIFF_REG_PLAIN/v2/skiff/corrupt/blobs/$SKIFF_DIGEST_CORRUPT_LAYER" | sha256sum)
    assert "sha256:${got%% *}" != "$SKIFF_DIGEST_CORRUPT_LAYER" "the registry serves the blob corrupted"
    for name in dotdot symlink hardlink absolute; do
        run rig_skopeo inspect --tls-verify=false "docker://$SKIFF_REG_PLAIN/skiff/evil-$name:latest"
        assert "$status" -eq 0 "skiff/evil-$name: $output"
    done
}

@test "rig: TLS certificate is trusted only through the rig CA, for 127.0.0.1 and localhost" {
    local port=${SKIFF_REG_TLS##*:}
    # Without the CA the certificate must not verify.
    run curl -s -o /dev/null "https://$SKIFF_REG_TLS/v2/"
    assert "$status" -ne 0 "curl without the CA must fail TLS verification"
    run rig_skopeo inspect --creds "$SKIFF_REG_USER:$SKIFF_REG_PASS" \
        "docker://$SKIFF_REG_TLS/skiff/busybox:latest"
    assert "$status" -ne 0 "skopeo without the CA must fail"
    assert_match "$output" "x509|certificate" "TLS error message"
    # With it, both names in the SAN verify.
    local host
    for host in 127.0.0.1 localhost; do
        run curl -s -o /dev/null -w '%{http_code}' --cacert "$SKIFF_REG_CA" "https://$host:$port/v2/"
        assert_equal "$output" 401 "TLS to $host verifies (then asks for auth)"
    done
}

@test "rig: registries listen on 127.0.0.1 only" {
    local addr port
    for addr in "$SKIFF_REG_PLAIN" "$SKIFF_REG_TLS" "$SKIFF_REG_TOKEN" "$SKIFF_TOKEN_ISSUER"; do
        port=${addr##*:}
        run ss -Hltn "sport = :$port"
        assert "$status" -eq 0 "ss: $output"
        assert_equal "$(awk '{print $4}' <<<"$output" | sort -u)" "127.0.0.1:$port" \
            "listening sockets on port $port"
    done
    # And the plain one really speaks plain HTTP, anonymously.
    run curl -s -o /dev/null -w '%{http_code}' "http://$SKIFF_REG_PLAIN/v2/"
    assert_equal "$output" 200 "plain /v2/"
}

@test "rig: rootless user has a full subordinate id range and usable devices" {
    skip_if_root "checks the rootless test user"
    local me file count
    me=$(id -un)
    for file in /etc/subuid /etc/subgid; do
        count=$(awk -F: -v u="$me" -v id="$(id -u)" '$1 == u || $1 == id { n += $3 } END { print n + 0 }' "$file")
        assert "$count" -ge 65536 "ids for $me in $file (uid 65534 in images needs 65536)"
    done
    local dev
    for dev in /dev/net/tun /dev/fuse; do
        [[ -r $dev && -w $dev ]] || die "$dev is not read-writable by $me (testuser.sh chmods it 666)"
    done
    assert_equal "$(stat -c '%a %u' "$XDG_RUNTIME_DIR")" "700 $(id -u)" "XDG_RUNTIME_DIR mode and owner"
    # Rootless user namespaces work at all (skiff depends on it).
    run unshare -Ur id -u
    assert "$status" -eq 0 "unshare -Ur: $output"
    assert_equal "$output" 0 "uid 0 inside a user namespace"
}

################################################################################
# The helpers must be able to fail, or every other test proves nothing.

@test "helpers: assertions fail on mismatch and show expected vs actual" {
    run assert_equal "actual-value" "expected-value"
    assert "$status" -ne 0 "assert_equal on different strings"
    assert_contains "$output" "expected-value"
    assert_contains "$output" "actual-value"
    run assert_match "abc" '^x'
    assert "$status" -ne 0 "assert_match without a match"
    run assert_contains "abc" "z"
    assert "$status" -ne 0 "assert_contains without the substring"
    run assert 3 -gt 5
    assert "$status" -ne 0 "assert 3 -gt 5"
    assert_equal same same
    assert_match "abc" '^a.c$'
    assert_contains "abc" "b"
}

@test "helpers: run_skiff checks the exit code" {
    # A stand-in binary with a known exit code.
    local fake=$BATS_TEST_TMPDIR/fake-skiff
    # shellcheck disable=SC2016  # $* is for the fake script, not for us
    printf '#!/bin/sh\necho "fake $*"\nexit "${FAKE_RC:-0}"\n' >"$fake"
    chmod +x "$fake"
    FAKE_RC=3 SKIFF_BIN=$fake run_skiff 3 hello
    assert_equal "$output" "fake hello"
    FAKE_RC=7 SKIFF_BIN=$fake run_skiff '?' hello
    assert_equal "$status" 7
    SKIFF_BIN=$fake run_skiff a b
    assert_equal "$output" "fake a b" "default expects exit 0"
    # Expecting 0 but getting 5 must fail the caller (bats' run stubbed out).
    run bash -c "source '$BATS_TEST_DIRNAME/helpers.bash'
                 run() { \"\$@\"; status=\$?; output=x; }
                 FAKE_RC=5 SKIFF_BIN='$fake' run_skiff hello"
    assert "$status" -ne 0 "run_skiff must fail on an unexpected exit code"
    assert_contains "$output" "expected 0"
}

@test "helpers: leak check finds and ends leftover skiff processes" {
    local fake=$BATS_TEST_TMPDIR/skiff
    cp "$(command -v sleep)" "$fake"
    local SKIFF_BIN=$fake
    "$fake" 300 3>&- &
    local pid=$!
    run _check_no_leaked_processes
    assert "$status" -ne 0 "a running $fake must be reported"
    assert_contains "$output" "$pid"
    wait "$pid" 2>/dev/null || true
    ! kill -0 "$pid" 2>/dev/null || die "leaked process $pid was not ended"
    run _check_no_leaked_processes
    assert "$status" -eq 0 "no leak once it is gone"
}

@test "helpers: leak check finds mounts left under the test's temp dir" {
    skip_if_rootless "mounting needs root"
    mkdir -p "$BATS_TEST_TMPDIR/mnt"
    mount -t tmpfs skiff-leak-test "$BATS_TEST_TMPDIR/mnt"
    run _check_no_leaked_mounts
    assert "$status" -ne 0 "a tmpfs under BATS_TEST_TMPDIR must be reported"
    assert_contains "$output" "$BATS_TEST_TMPDIR/mnt"
    run _check_no_leaked_mounts
    assert "$status" -eq 0 "the leaked mount was cleaned up"
}

@test "helpers: each test file gets its own XDG dirs" {
    assert_match "$XDG_DATA_HOME" "^$BATS_FILE_TMPDIR/" "XDG_DATA_HOME under BATS_FILE_TMPDIR"
    assert_match "$XDG_CONFIG_HOME" "^$BATS_FILE_TMPDIR/" "XDG_CONFIG_HOME under BATS_FILE_TMPDIR"
    [[ -d $XDG_DATA_HOME && -d $XDG_CONFIG_HOME ]] || die "XDG dirs not created"
    if is_rootless; then
        assert "${XDG_RUNTIME_DIR:-}" != "" "XDG_RUNTIME_DIR is set for the rootless run"
        assert_equal "$(stat -c %u "$XDG_RUNTIME_DIR")" "$(id -u)" "XDG_RUNTIME_DIR is ours"
    fi
}
