#!/usr/bin/env bats
#
# The command line's contract: docker/podman exit codes and messages for bad
# input, --version, and a config file with a mistake named by file:line:key.

load helpers

@test "cli: an unknown command exits 125 and names it" {
    run_skiff 125 frobnicate
    assert_match "$output" "unrecognized command 'skiff frobnicate'"
}

@test "cli: an unknown flag exits 125 and names it, globally and per command" {
    run_skiff 125 --no-such-flag version
    assert_match "$output" "unknown flag: --no-such-flag"
    run_skiff 125 version --bogus
    assert_match "$output" "unknown flag: --bogus"
    assert_match "$output" "See 'skiff version --help'"
    run_skiff 125 run --bogus busybox
    assert_match "$output" "unknown flag: --bogus"
}

@test "cli: no command is an error that shows the help" {
    run_skiff 125
    assert_match "$output" "Subcommands:"
    assert_match "$output" "missing command"
}

@test "cli: --version and version agree" {
    run_skiff --version
    local v=${output##* }
    run_skiff version --format json
    assert_equal "$(jq -r .Version <<<"$output")" "$v" "version --format json"
}

@test "cli: a config file with a typo names file, line and key; exit 125" {
    local cfg=$BATS_TEST_TMPDIR/config.yaml
    printf 'storage:\n  drivr: vfs\n' >"$cfg"
    run_skiff 125 --config "$cfg" info
    assert_match "$output" "$cfg:2: key 'storage.drivr': unknown key"
    printf 'registries:\n  insecure: 5\n' >"$cfg"
    run_skiff 125 --config "$cfg" info
    assert_match "$output" "$cfg:2: key 'registries.insecure': expected a list of strings"
    printf 'log-level: loud\n' >"$cfg"
    run_skiff 125 --config "$cfg" version
    assert_match "$output" "'loud' is not one of"
}

@test "cli: an invalid --log-level is refused" {
    run_skiff 125 --log-level=loud version
    assert_match "$output" "invalid --log-level 'loud'"
}

@test "cli: run's flags stop at the image; the command's own flags reach it" {
    require_rig
    run_skiff --root "$BATS_FILE_TMPDIR/root" --runroot "$BATS_FILE_TMPDIR/run" run --rm -q "$IMAGE" sh -c 'echo "$0 $1"' -e --rm
    assert_equal "$output" "-e --rm"
}

@test "cli: the binary links libc only; libcurl, libarchive, libslirp and libcrypto load on demand" {
    command -v readelf >/dev/null || skip "readelf (binutils) not installed"
    local needed lib
    needed=$(readelf -d "$SKIFF_BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    assert_match "$needed" "libc\.so\.6"
    for lib in $needed; do
        [[ $lib =~ ^(libc|libm|ld-linux[-a-z0-9_]*)\.so ]] || die "skiff links $lib (only libc, libm and the loader are expected)"
    done
    # A command that needs none of them loads none of them.
    run env LD_DEBUG=files "$SKIFF_BIN" --root "$BATS_FILE_TMPDIR/root" --runroot "$BATS_FILE_TMPDIR/run" images
    [[ $status -eq 0 ]] || die "skiff images failed: $output"
    if grep -E 'file=(libcurl|libarchive|libslirp|libcrypto)' <<<"$output"; then
        die "skiff images loaded a library it does not need"
    fi
    # pull needs them, and gets them (an empty store: the layer is unpacked).
    require_rig
    local store=$BATS_TEST_TMPDIR/pull-root
    run env LD_DEBUG=files "$SKIFF_BIN" --root "$store" --runroot "$BATS_TEST_TMPDIR/pull-run" pull -q "$IMAGE"
    remove_store "$store"
    [[ $status -eq 0 ]] || die "skiff pull failed: $output"
    assert_match "$output" "file=libcurl.so.4"
    assert_match "$output" "file=libarchive.so.13"
}
