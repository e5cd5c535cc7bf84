#!/usr/bin/env bash
# Container start-up latency, rootless: `skiff run --rm --network=none IMG true`
# against an OCI runtime running a prepared bundle of the same image (crun, or
# runc when crun cannot run on this host), rootless podman, bwrap on the same
# rootfs, and the floor `unshare -Urmpf --mount-proc true`.  Also the peak RSS
# of the skiff and podman processes, and skiff's own per-step trace of one run.
#
#   sudo bench/run.sh            (as root: measures as $BENCH_USER, default skifftest)
#   bench/run.sh                 (as the unprivileged user itself; tools must be installed)
#
# Environment: RUNS (hyperfine runs per command, default 20), RSS_RUNS (default 10),
# and those described in bench/lib.sh (SKIFF, BENCH_USER, SKIFF_REG_PLAIN, ...).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-20}
RSS_RUNS=${RSS_RUNS:-10}

need_tools hyperfine:hyperfine podman:podman crun:crun runc:runc bwrap:bubblewrap \
    skopeo:skopeo umoci:umoci jq:jq curl:curl /usr/bin/time:time unshare:util-linux
bench_setup
bench_registry
: "${SKIFF_FIXTURES:?SKIFF_FIXTURES, the OCI layouts of the rig, is not set}"
IMG=$SKIFF_REG_PLAIN/skiff/busybox:latest

echo "# skiff start-up bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, user $BENCH_USER"
echo "# load before: $bench_uptime_before"
echo "# image: $IMG"

# --- prepare: images in skiff's and podman's stores, a bundle for the runtime
podman_config
cp -r "$SKIFF_FIXTURES/busybox" "$W/layout"
[[ $(id -u) == 0 ]] && chown -R "$BENCH_USER:" "$W/layout" && chown "$BENCH_USER:" "$W"
as_user "$SKIFF_BIN" pull -q --tls-verify=false "$IMG" >/dev/null
as_user podman pull -q "$IMG" >/dev/null 2>"$W/podman-pull.err" ||
    { cat "$W/podman-pull.err" >&2; die "podman pull failed"; }

# Bundle: rootless unpack of the same image; the runtime's own rootless spec,
# running `true`, with a network namespace like --network=none.
as_user umoci unpack --rootless --image "$W/layout:latest" "$W/bundle" >/dev/null 2>&1 ||
    die "umoci unpack --rootless failed"
make_spec() { # make_spec RUNTIME
    as_user sh -c "cd '$W/bundle' && rm -f config.json && $1 spec --rootless" || return 1
    as_user sh -c "cd '$W/bundle' && jq '.process.args = [\"true\"] | .process.terminal = false
        | .hostname = \"bench\"
        | .linux.namespaces += (if any(.linux.namespaces[]; .type == \"network\") then [] else [{type: \"network\"}] end)' \
        config.json >config.json.new && mv config.json.new config.json"
}

rt_name="" rt_cmd="" rt_note=""
crun_cmd="crun --cgroup-manager=disabled --root $W/crun-state run --bundle $W/bundle b\$\$"
if make_spec crun && crun_err=$(as_user sh -c "$crun_cmd" 2>&1); then
    rt_name=crun rt_cmd=$crun_cmd
else
    rt_note="crun cannot run here (${crun_err:-crun spec failed}); measured runc --rootless=true instead"
    make_spec runc || die "runc spec --rootless failed"
    rt_cmd="runc --rootless=true --root $W/runc-state run --bundle $W/bundle b\$\$"
    as_user sh -c "$rt_cmd" >/dev/null 2>"$W/runc.err" || { cat "$W/runc.err" >&2; die "runc run failed"; }
    rt_name=runc
fi
[[ -n $rt_note ]] && echo "# NOTE: $rt_note"

# Every command once: a failure must stop the bench, not be timed.
as_user "$SKIFF_BIN" run --rm --network=none "$IMG" true || die "skiff run failed"
as_user podman run --rm --network=none "$IMG" true 2>/dev/null || die "podman run failed"
as_user bwrap --unshare-all --ro-bind "$W/bundle/rootfs" / --proc /proc --dev /dev true || die "bwrap failed"
as_user unshare -Urmpf --mount-proc true || die "unshare failed"

# --- latency: all commands in one hyperfine run
echo "# load now: $(uptime)"
log "hyperfine: $RUNS runs per command"
as_user hyperfine -N --warmup 3 --runs "$RUNS" --style basic --export-json "$W/run.json" \
    -n skiff "$SKIFF_BIN run --rm --network=none $IMG true" \
    -n "$rt_name bundle" "sh -c '$rt_cmd'" \
    -n podman "podman run --rm --network=none $IMG true" \
    -n bwrap "bwrap --unshare-all --ro-bind $W/bundle/rootfs / --proc /proc --dev /dev true" \
    -n "unshare -Urmpf" "unshare -Urmpf --mount-proc true" >"$W/hyperfine.log" 2>&1 ||
    { cat "$W/hyperfine.log" >&2; die "hyperfine failed"; }
# The runtime goes through sh (a unique container id per run): take away one
# `sh -c true`, timed in the same way, so it is compared fairly.
as_user hyperfine -N --warmup 3 --runs "$RUNS" --style basic --export-json "$W/sh.json" \
    -n sh "sh -c true" >/dev/null 2>&1
sh_ms=$(jq '.results[0].median * 1000' "$W/sh.json")

echo
echo "## start-up latency (hyperfine --warmup 3 --runs $RUNS), medians"
print_table "$W/run.json"
printf '(%s bundle includes one sh -c: %.2f ms median, subtracted in the ratio below)\n' "$rt_name" "$sh_ms"
jq -r --arg rt "$rt_name bundle" --argjson sh "$sh_ms" '
    def med($n): [.results[] | select(.command == $n) | .median * 1000][0];
    (med("skiff")) as $s |
    "skiff / \($rt)   = \($s / (med($rt) - $sh) * 100 | round / 100)   (skiff \($s * 100 | round / 100) ms vs \((med($rt) - $sh) * 100 | round / 100) ms)",
    "skiff / podman        = \($s / med("podman") * 100 | round / 100)",
    "skiff / bwrap         = \($s / med("bwrap") * 100 | round / 100)",
    "skiff / unshare floor = \($s / med("unshare -Urmpf") * 100 | round / 100)"' "$W/run.json"

# --- peak RSS (GNU time %M: max RSS of the process and the children it waited
# for; podman's conmon is double-forked and so not included)
log "peak RSS: $RSS_RUNS runs each"
rss() {
    local i
    for ((i = 0; i < RSS_RUNS; i++)); do
        as_user /usr/bin/time -f %M -o "$W/rss.$$" "$@" >/dev/null 2>&1
        tail -n1 "$W/rss.$$"
    done | median
}
rss_skiff=$(rss "$SKIFF_BIN" run --rm --network=none "$IMG" true)
rss_podman=$(rss podman run --rm --network=none "$IMG" true)
echo
echo "## peak RSS (/usr/bin/time -f %M, median of $RSS_RUNS)"
printf '%-10s %8s KiB\n' skiff "$rss_skiff" podman "$rss_podman"
awk -v s="$rss_skiff" -v p="$rss_podman" 'BEGIN { printf "skiff / podman RSS = %.2f\n", s / p }'

# --- skiff's own trace of one run
echo
echo "## skiff --log-level=info run --rm --network=none IMG true (one run, its step trace)"
as_user "$SKIFF_BIN" --log-level=info run --rm --network=none "$IMG" true 2>&1 | grep -E 'step ' || true
echo
echo "# load after: $(uptime)"
