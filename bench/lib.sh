# shellcheck shell=bash disable=SC2034
# Shared helpers for bench/run.sh and bench/pull.sh.  Source me; needs bash.
#
# Environment (all optional):
#   SKIFF             skiff binary (default: build-me/skiff, then build/skiff)
#   BENCH_USER        unprivileged user to measure as (default: skifftest; ignored
#                     when the script is not run as root: then the caller is used)
#   SKIFF_REG_PLAIN   HOST:PORT of a plain-HTTP registry holding skiff/busybox
#                     (default: start one with tests/rig/registry.sh)
#   SKIFF_FIXTURES    the rig's OCI layouts (default: the started rig's)
#   BENCH_KEEP=1      keep the work directory

bench_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

# Install the tools a bench needs from apt when they are missing (root only).
need_tools() { # need_tools CMD:PACKAGE ...
    local missing=() spec
    for spec in "$@"; do
        command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
    done
    ((${#missing[@]})) || return 0
    [[ $(id -u) == 0 ]] || die "missing packages (${missing[*]}); install them or run as root"
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; } ||
        die "apt-get install ${missing[*]} failed"
}

# Work directory, the unprivileged user and its private environment.  The user
# gets its own HOME and XDG_RUNTIME_DIR under the work directory, so podman's
# and skiff's stores start empty and nothing of the user's real state (or of a
# test run going on as the same user) is touched.
bench_setup() {
    bench_uptime_before=$(uptime)
    if [[ $(id -u) == 0 ]]; then
        BENCH_USER=${BENCH_USER:-skifftest}
        id "$BENCH_USER" >/dev/null 2>&1 || die "no user $BENCH_USER (set BENCH_USER)"
    else
        BENCH_USER=$(id -un)
    fi
    W=$(mktemp -d /tmp/skiff-bench.XXXXXX)
    chmod 755 "$W"
    mkdir -p "$W/bin"
    local src=${SKIFF:-}
    if [[ -z $src ]]; then
        for src in "$bench_repo/build-me/skiff" "$bench_repo/build/skiff"; do
            [[ -x $src ]] && break
        done
    fi
    [[ -x $src ]] || die "no skiff binary (set SKIFF)"
    # A world-readable copy: the user may not be able to reach the build tree.
    cp "$src" "$W/bin/skiff"
    # The monitor of detached containers sits next to the binary.
    if [[ -x ${src%/*}/skiff-monitor ]]; then
        cp "${src%/*}/skiff-monitor" "$W/bin/skiff-monitor"
        chmod 755 "$W/bin/skiff-monitor"
    fi
    chmod 755 "$W/bin" "$W/bin/skiff"
    SKIFF_BIN=$W/bin/skiff
    UH=$W/home
    URUN=$W/run
    mkdir -p "$UH" "$URUN"
    chmod 700 "$URUN"
    [[ $(id -u) == 0 ]] && chown -R "$BENCH_USER:" "$UH" "$URUN"
    trap bench_cleanup EXIT
}

# Run a command as the unprivileged user with a minimal environment.
as_user() {
    local envs=(HOME="$UH" PATH=/usr/sbin:/usr/bin:/sbin:/bin XDG_RUNTIME_DIR="$URUN" LANG=C.UTF-8)
    if [[ $(id -u) == 0 ]]; then
        runuser -u "$BENCH_USER" -- env -i "${envs[@]}" "$@"
    else
        env -i "${envs[@]}" "$@"
    fi
}

# Registry: use $SKIFF_REG_PLAIN, or start the rig's registries for this run.
bench_registry() {
    if [[ -n ${SKIFF_REG_PLAIN:-} ]]; then
        curl -sf -o /dev/null --max-time 5 "http://$SKIFF_REG_PLAIN/v2/" ||
            die "registry $SKIFF_REG_PLAIN does not answer"
        return
    fi
    need_tools docker-registry:docker-registry skopeo:skopeo openssl:openssl
    bench_rig=$W/rig
    log "starting a registry with tests/rig/registry.sh"
    "$bench_repo/tests/rig/registry.sh" start "$bench_rig" >&2
    # shellcheck disable=SC1091
    source "$bench_rig/rig.env"
}

bench_cleanup() {
    local rc=$?
    # podman's rootless pause process (it holds the user namespace) is ours.
    local p
    for p in "$W"/run/libpod/tmp/pause.pid "$W"/podman-tmp/pause.pid; do
        [[ -f $p ]] && kill "$(cat "$p")" 2>/dev/null
    done
    [[ -n ${bench_rig:-} ]] && "$bench_repo/tests/rig/registry.sh" stop "$bench_rig" >/dev/null 2>&1
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        log "kept $W"
    elif [[ -n ${W:-} && -d $W ]]; then
        # Files owned by subordinate uids: root removes them; a user needs podman unshare.
        if [[ $(id -u) == 0 ]]; then
            rm -rf "$W"
        else
            podman unshare rm -rf "$W" 2>/dev/null || rm -rf "$W" 2>/dev/null
        fi
    fi
    return $rc
}

# Rootless podman configured per HOST-NOTES.md, with everything under $W.
podman_config() {
    local c=$UH/.config/containers
    mkdir -p "$c/registries.conf.d" "$W/podman-tmp"
    cat >"$c/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
tmp_dir = "$W/podman-tmp"
EOF
    cat >"$c/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$UH/.local/share/containers/storage"
runroot = "$URUN/containers"
EOF
    cat >"$c/registries.conf.d/50-bench.conf" <<EOF
[[registry]]
location = "$SKIFF_REG_PLAIN"
insecure = true
EOF
    [[ $(id -u) == 0 ]] && chown -R "$BENCH_USER:" "$UH/.config" "$W/podman-tmp"
    true
}

# print_table JSON: median, mean and stddev in ms of each command of a hyperfine export
print_table() {
    local json=$1
    printf '%-34s %12s %12s %12s\n' command "median ms" "mean ms" "stddev ms"
    jq -r '.results[] | [.command, (.median*1000), (.mean*1000), (.stddev*1000)] | @tsv' "$json" |
        awk -F'\t' '{ printf "%-34s %12.2f %12.2f %12.2f\n", $1, $2, $3, $4 }'
}

# median: the median of the numbers on stdin, one a line
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
