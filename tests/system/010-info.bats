#!/usr/bin/env bats
#
# skiff info: every fact it reports is checked against what the host itself
# says (id, /etc/subuid, unshare, test -r/-w, stat -f, uname, os-release).
# Runs as root and as an unprivileged user; no registry needed.

load helpers

# Runs `skiff info --format json` with ARGS and keeps the JSON in $INFO.
info_json() {
    run_skiff "$@" info --format json
    INFO=$output
    jq -e . >/dev/null <<<"$INFO" || die "skiff info --format json is not valid JSON"
}

# jq -r FILTER on $INFO.
j() { jq -r "$1" <<<"$INFO"; }

# "start:count" of the ranges a subuid-style FILE gives the current user,
# by name or by uid, skipping comments and malformed lines (awk's view).
expected_ranges() {
    awk -F: -v user="$(id -un)" -v uid="$(id -u)" '
        /^[ \t]*#/ || NF != 3 { next }
        ($1 == user || $1 == uid) && $2 ~ /^[0-9]+$/ && $3 ~ /^[1-9][0-9]*$/ {
            r = $2 ":" $3
            if (!(r in seen)) { seen[r] = 1; out = out (out == "" ? "" : " ") r }
        }
        END { print out }' "$1" 2>/dev/null
}

bool() { if "$@"; then echo true; else echo false; fi; }

@test "info: readable report has the sections and the main facts" {
    run_skiff info
    local s
    for s in host security store network version; do
        assert_match "$output" "(^|"$'\n'")$s:"$'\n' "section $s:"
    done
    assert_match "$output" $'\n  rootless: (true|false)\n' "host.rootless"
    assert_match "$output" $'\n  graphDriverName: (overlay|fuse-overlayfs|vfs)\n' "store.graphDriverName"
    assert_match "$output" $'\n  cgroupVersion: (v1|v2|hybrid)\n' "host.cgroupVersion"
}

@test "info: --format json and -f json print the same data" {
    info_json
    assert_equal "$(j 'keys_unsorted | join(",")')" "host,security,store,network,version,warnings"
    local long=$INFO
    run_skiff info -f json
    # Probes are live: compare what does not change between two runs.
    assert_equal "$(jq -cS 'del(.host.userNamespaces) | del(.store.nativeOverlay.detail)' <<<"$output")" \
        "$(jq -cS 'del(.host.userNamespaces) | del(.store.nativeOverlay.detail)' <<<"$long")"
}

@test "info: an unsupported --format fails with 125" {
    run_skiff 125 info --format '{{.Host.Arch}}'
    assert_contains "$output" "unsupported --format"
    run_skiff 125 info --format yaml
    assert_contains "$output" "unsupported --format"
}

@test "info: identity and rootless flag agree with id(1)" {
    info_json
    assert_equal "$(j .host.uid)" "$(id -u)"
    assert_equal "$(j .host.gid)" "$(id -g)"
    assert_equal "$(j .host.user)" "$(id -un)"
    assert_equal "$(j .host.rootless)" "$(bool is_rootless)"
    assert_equal "$(j .security.rootless)" "$(bool is_rootless)"
}

@test "info: subordinate ranges agree with /etc/subuid and /etc/subgid" {
    info_json
    assert_equal "$(j '[.host.idMappings.subuid[] | "\(.start):\(.count)"] | join(" ")')" \
        "$(expected_ranges /etc/subuid)" "subuid ranges of $(id -un)"
    assert_equal "$(j '[.host.idMappings.subgid[] | "\(.start):\(.count)"] | join(" ")')" \
        "$(expected_ranges /etc/subgid)" "subgid ranges of $(id -un)"

    if ! is_rootless; then
        assert_equal "$(j '.host.idMappings.uidmap | length')" 0 "root: no user namespace mapping"
        return
    fi
    # Container 0 is the user; container 1.. the first subordinate range.
    assert_equal "$(j '.host.idMappings.uidmap[0] | "\(.container_id) \(.host_id) \(.size)"')" "0 $(id -u) 1"
    assert_equal "$(j '.host.idMappings.gidmap[0] | "\(.container_id) \(.host_id) \(.size)"')" "0 $(id -g) 1"
    local first=$(expected_ranges /etc/subuid)
    first=${first%% *}
    if [[ -n $first && $(j .host.idMappings.newuidmap.usable) == true && -n $(expected_ranges /etc/subgid) ]]; then
        assert_equal "$(j '.host.idMappings.uidmap[1] | "\(.container_id) \(.host_id):\(.size)"')" "1 $first"
        assert_equal "$(j .host.idMappings.detail)" ""
    else
        assert_equal "$(j '.host.idMappings.uidmap | length')" 1 "single-ID mapping"
        assert_contains "$(j .host.idMappings.detail)" "single-ID mapping"
    fi
}

@test "info: newuidmap/newgidmap usability agrees with their mode and capabilities" {
    info_json
    local helper path cap expected
    for helper in newuidmap newgidmap; do
        path=$(PATH=$PATH:/usr/sbin:/sbin command -v $helper || true)
        assert_equal "$(j .host.idMappings.$helper.path)" "$path" "$helper path"
        [[ -n $path ]] || continue
        cap=cap_setuid
        [[ $helper == newgidmap ]] && cap=cap_setgid
        expected=false
        if [[ -u $path && $(stat -Lc %u "$path") == 0 ]] || getcap "$path" 2>/dev/null | grep -q "$cap"; then
            expected=true
        fi
        assert_equal "$(j .host.idMappings.$helper.usable)" "$expected" "$helper usable"
    done
}

@test "info: user namespace probe agrees with unshare -U true" {
    info_json
    local expected=false
    unshare -U true 2>/dev/null && expected=true
    assert_equal "$(j .host.userNamespaces.ok)" "$expected"
    assert_equal "$(j .security.userNamespaces)" "$expected"
    assert_equal "$(j .host.userNamespaces.maxUserNamespaces)" "$(cat /proc/sys/user/max_user_namespaces)"
    if [[ $expected == false ]]; then
        assert "$(j .host.userNamespaces.detail)" != "" "a failed probe says why"
    fi
}

@test "info: /dev/net/tun and /dev/fuse accessibility agree with test -r -a -w" {
    info_json
    local name path expected
    for name in tun fuse; do
        path=$(j .host.devices.$name.path)
        expected=$(bool test -r "$path" -a -w "$path")
        assert_equal "$(j .host.devices.$name.accessible)" "$expected" "$path accessible"
        if [[ -e $path ]]; then
            assert_equal "$(j .host.devices.$name.mode)" "$(stat -c %04a "$path")" "$path mode"
        fi
        if [[ $expected == false && -e $path ]] && is_rootless; then
            assert_contains "$(j .host.devices.$name.detail)" "0666" "$path: says what to do"
        fi
    done
    assert_equal "$(j .network.tunAccessible)" "$(j .host.devices.tun.accessible)"
}

@test "info: cgroup version agrees with stat -f, and limits are explained" {
    info_json
    local expected
    case $(stat -fc %T /sys/fs/cgroup) in
    cgroup2fs) expected=v2 ;;
    tmpfs)
        expected=v1
        [[ $(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]] && expected=hybrid
        ;;
    *) expected=unknown ;;
    esac
    assert_equal "$(j .host.cgroupVersion)" "$expected"
    assert_equal "$(j .host.cgroupPath)" "$(sed -n 's/^0:://p' /proc/self/cgroup)"
    assert "$(j .host.resourceLimitsDetail)" != "" "resource limits are explained"
    if is_rootless && [[ $expected != v2 ]]; then
        assert_equal "$(j .host.resourceLimits)" false
        assert_contains "$(j .host.resourceLimitsDetail)" "cannot be enforced rootless on this host"
    fi
}

@test "info: kernel, distribution and seccomp agree with the host" {
    info_json
    assert_equal "$(j .host.kernel)" "$(uname -r)"
    local pretty
    pretty=$(. /etc/os-release && echo "$PRETTY_NAME")
    assert_equal "$(j .host.distribution.prettyName)" "$pretty"
    if grep -q '^Seccomp:' /proc/self/status; then
        assert_equal "$(j .security.seccompEnabled)" true
    fi
    assert_match "$(j .security.libseccompVersion)" '^[0-9]+\.[0-9]+\.[0-9]+$'
}

@test "info: store paths follow XDG_DATA_HOME, --root, --runroot and --config" {
    info_json
    if is_rootless; then
        assert_equal "$(j .store.graphRoot)" "$XDG_DATA_HOME/skiff"
        assert_equal "$(j .store.configFile)" "$XDG_CONFIG_HOME/skiff/config.yaml"
    else
        assert_equal "$(j .store.graphRoot)" /var/lib/skiff
        assert_equal "$(j .store.runRoot)" /run/skiff
    fi
    local cfg=$BATS_TEST_TMPDIR/config.yaml
    printf 'storage:\n  driver: vfs\n' >"$cfg"
    info_json --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" --config "$cfg"
    assert_equal "$(j .store.graphRoot)" "$BATS_TEST_TMPDIR/root"
    assert_equal "$(j .store.runRoot)" "$BATS_TEST_TMPDIR/run"
    assert_equal "$(j .store.configFile)" "$cfg"
    assert_equal "$(j .store.configFileExists)" true
    # A configured driver that always works is used as is.
    assert_equal "$(j .store.graphDriverConfigured)" vfs
    assert_equal "$(j .store.graphDriverName)" vfs
    # info only looks: it creates neither store.
    [[ ! -e $BATS_TEST_TMPDIR/root && ! -e $BATS_TEST_TMPDIR/run ]] || die "info created store dirs"
}

@test "info: the native overlay probe agrees with a real mount, and leaves nothing behind" {
    local d=$BATS_TEST_TMPDIR/ovl expected=false
    mkdir -p "$d"/{l,u,w,m}
    if is_rootless; then
        unshare -Urm mount -t overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w,userxattr" none "$d/m" \
            2>/dev/null && expected=true
    else
        unshare -m mount -t overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" none "$d/m" \
            2>/dev/null && expected=true
    fi
    # The probe runs on the store's filesystem: XDG_DATA_HOME (rootless), or
    # the parent of --root here for both cases.
    info_json --root "$BATS_TEST_TMPDIR/store"
    assert_equal "$(j .store.nativeOverlay.ok)" "$expected" "native overlay probe"
    assert_equal "$(j .store.nativeOverlay.probedIn)" "$BATS_TEST_TMPDIR"
    assert_equal "$(j .store.nativeOverlay.userxattr)" "$(bool is_rootless)"
    if [[ $expected == true ]]; then
        assert_equal "$(j .store.graphDriverName)" overlay "auto picks native overlay"
    fi
    assert_equal "$(find "$BATS_TEST_TMPDIR" /tmp -maxdepth 1 -name '.skiff-overlay-probe-*' 2>/dev/null)" "" \
        "probe temp dirs removed"
}

@test "info: the default network is slirp rootless when /dev/net/tun opens, else none; and says why" {
    info_json
    if is_rootless && [[ $(j .network.tunAccessible) == true ]]; then
        assert_equal "$(j .network.defaultMode)" slirp
    else
        assert_equal "$(j .network.defaultMode)" none
    fi
    if is_rootless; then
        assert_contains "$(j .network.reason)" "slirp"
    fi
    assert "$(j .network.reason)" != "" "network reason"
}
