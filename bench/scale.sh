#!/usr/bin/env bash
# 1,000 containers from one image, rootless: `create` them one command each,
# `start` them all (sleep infinity, --network=none), then `rm -f` them all;
# wall time per phase, disk used and inodes per container, RSS per monitor.
# The same for podman, with PODMAN_COUNT containers (default 200: podman
# takes minutes for 1,000 here), and per-container ratios.
#
#   sudo bench/scale.sh          (measures as $BENCH_USER, default skifftest)
#
# Environment: COUNT (skiff's containers, default 1000), PODMAN_COUNT
# (default 200, 0 to skip podman), and those in bench/lib.sh.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COUNT=${COUNT:-1000}
PODMAN_COUNT=${PODMAN_COUNT:-200}

need_tools podman:podman runc:runc jq:jq curl:curl
bench_setup
bench_registry
IMG=$SKIFF_REG_PLAIN/skiff/busybox:latest

echo "# skiff scale bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, user $BENCH_USER"
echo "# load before: $bench_uptime_before"
echo "# image: $IMG; skiff: $COUNT containers, podman: $PODMAN_COUNT"

podman_config
as_user "$SKIFF_BIN" pull -q --tls-verify=false "$IMG" >/dev/null
((PODMAN_COUNT > 0)) && as_user podman pull -q "$IMG" >/dev/null 2>&1

now_ms() { date +%s%3N; }

# Runs the three phases for one tool; prints "tool phase total_ms per_ms".
# $1 tool name, $2 count, $3 the command prefix (words), $4 the store dir.
phases() {
    local tool=$1 n=$2 cmd=$3 store=$4 t0 t1 ids
    local before_kb before_inodes
    before_kb=$(as_user du -sk "$store" 2>/dev/null | awk '{print $1}')
    before_inodes=$(as_user find "$store" 2>/dev/null | wc -l)
    # create: one command per container, as a user would.
    t0=$(now_ms)
    as_user bash -c "for i in \$(seq 1 $n); do $cmd create --network=none --name ${tool}x-\$i $IMG sleep infinity >/dev/null || exit 1; done"
    t1=$(now_ms)
    local create_ms=$((t1 - t0))
    local after_kb after_inodes
    after_kb=$(as_user du -sk "$store" 2>/dev/null | awk '{print $1}')
    after_inodes=$(as_user find "$store" 2>/dev/null | wc -l)
    # start all, in one command per 100 containers.
    t0=$(now_ms)
    as_user bash -c "for b in \$(seq 0 100 $((n - 1))); do $cmd start \$(seq -f '${tool}x-%g' \$((b + 1)) \$((b + 100 > $n ? $n : b + 100))) >/dev/null || exit 1; done"
    t1=$(now_ms)
    local start_ms=$((t1 - t0))
    # RSS of the per-container processes that stay (monitors / conmon).
    local rss_kb pname
    [[ $tool == skiff ]] && pname=skiff-monitor || pname=conmon
    rss_kb=$(ps -u "$BENCH_USER" -o rss=,comm= | awk -v p="$pname" '$2 == p {s += $1; n++} END {if (n) printf "%.0f %d", s / n, n; else print "0 0"}')
    local running
    running=$(as_user bash -c "$cmd ps -q | wc -l")
    # rm -f all, one command per 100.
    t0=$(now_ms)
    as_user bash -c "for b in \$(seq 0 100 $((n - 1))); do $cmd rm -f \$(seq -f '${tool}x-%g' \$((b + 1)) \$((b + 100 > $n ? $n : b + 100))) >/dev/null || exit 1; done"
    t1=$(now_ms)
    local rm_ms=$((t1 - t0))
    echo "$tool $n $create_ms $start_ms $rm_ms $(((after_kb - before_kb))) $((after_inodes - before_inodes)) $rss_kb $running"
}

results=$W/results
phases skiff "$COUNT" "$SKIFF_BIN" "$UH/.local/share/skiff" | tee -a "$results"
((PODMAN_COUNT > 0)) && phases podman "$PODMAN_COUNT" podman "$UH/.local/share/containers/storage" | tee -a "$results"

echo
printf '%-7s %6s %14s %14s %14s %12s %10s %14s %9s\n' tool count "create ms/ctr" "start ms/ctr" "rm ms/ctr" "disk KiB/ctr" "inodes/ctr" "monitor RSS" running
while read -r tool n c s r kb ino rss monitors running; do
    awk -v t="$tool" -v n="$n" -v c="$c" -v s="$s" -v r="$r" -v kb="$kb" -v ino="$ino" -v rss="$rss" -v m="$monitors" -v run="$running" \
        'BEGIN {printf "%-7s %6d %14.2f %14.2f %14.2f %12.1f %10.1f %9d KiB %9s\n", t, n, c/n, s/n, r/n, kb/n, ino/n, rss, run "/" m}'
    echo "#   $tool totals: create $((c)) ms, start $((s)) ms, rm $((r)) ms"
done <"$results"
# The floor of the create loop on this machine: the same loop running a
# command that does nothing. One process per container cannot go below it.
t0=$(now_ms)
as_user bash -c "for i in \$(seq 1 $COUNT); do /bin/true >/dev/null || exit 1; done"
t1=$(now_ms)
awk -v n="$COUNT" -v ms="$((t1 - t0))" \
    'BEGIN {printf "floor: the same loop running /bin/true %d times takes %d ms (%.2f ms each)\n", n, ms, ms/n}'
if ((PODMAN_COUNT > 0)); then
    read -r _ sn sc ss sr _ <"$results"
    read -r _ pn pc ps pr _ < <(sed -n 2p "$results")
    awk -v sn="$sn" -v sc="$sc" -v ss="$ss" -v sr="$sr" -v pn="$pn" -v pc="$pc" -v ps="$ps" -v pr="$pr" \
        'BEGIN {printf "ratio podman/skiff per container: create %.1fx, start %.1fx, rm %.1fx\n", (pc/pn)/(sc/sn), (ps/pn)/(ss/sn), (pr/pn)/(sr/sn)}'
fi
echo "# load after: $(uptime)"
