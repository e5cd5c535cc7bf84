#!/usr/bin/env bash
# Networking, rootless: (1) start latency added by slirp over --network=none,
# skiff and podman (slirp4netns), hyperfine medians and 90th percentiles;
# (2) host -> container throughput through a published port (1 GiB into
# busybox nc in the container); (3) container -> host throughput (1 GiB from
# busybox nc in the container to a listener on the host's loopback, reached
# through the gateway 10.0.2.2).
#
#   sudo bench/net.sh            (as root: measures as $BENCH_USER, default skifftest)
#
# Environment: RUNS (hyperfine runs, default 20), BYTES (default 1 GiB),
# ROUNDS (throughput rounds, skiff and podman alternating, default 1; the
# medians are printed after them), LATENCY=0 to skip (1), and those of
# bench/lib.sh (SKIFF, BENCH_USER, SKIFF_REG_PLAIN, ...).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-20}
BYTES=${BYTES:-1073741824}
ROUNDS=${ROUNDS:-1}
LATENCY=${LATENCY:-1}

need_tools hyperfine:hyperfine podman:podman slirp4netns:slirp4netns skopeo:skopeo jq:jq curl:curl python3:python3
bench_setup
bench_registry
IMG=$SKIFF_REG_PLAIN/skiff/busybox:latest

echo "# skiff network bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, user $BENCH_USER"
echo "# load before: $bench_uptime_before"
podman_config
mkdir -p "$UH/.config/skiff"
printf 'network:\n  host-loopback: true\n' >"$UH/.config/skiff/config.yaml"
[[ $(id -u) == 0 ]] && chown -R "$BENCH_USER:" "$UH/.config" "$W"
as_user "$SKIFF_BIN" pull -q --tls-verify=false "$IMG" >/dev/null
as_user podman pull -q "$IMG" >/dev/null 2>&1 || die "podman pull failed"
as_user "$SKIFF_BIN" run --rm --network=slirp "$IMG" true || die "skiff run --network=slirp failed"
as_user podman run --rm --network=slirp4netns "$IMG" true 2>/dev/null || die "podman slirp4netns failed"

# --- (1) latency
if [[ $LATENCY == 1 ]]; then
log "hyperfine: $RUNS runs per command"
as_user hyperfine -N --warmup 3 --runs "$RUNS" --style basic --export-json "$W/net.json" \
    -n "skiff none" "$SKIFF_BIN run --rm --network=none $IMG true" \
    -n "skiff slirp" "$SKIFF_BIN run --rm --network=slirp $IMG true" \
    -n "podman none" "podman run --rm --network=none $IMG true" \
    -n "podman slirp4netns" "podman run --rm --network=slirp4netns $IMG true" >"$W/hf.log" 2>&1 ||
    { cat "$W/hf.log" >&2; die "hyperfine failed"; }
echo
echo "## start latency (hyperfine --warmup 3 --runs $RUNS)"
printf '%-22s %10s %10s\n' command "median ms" "p90 ms"
jq -r '.results[] | [.command, (.median*1000), ((.times | sort)[((.times|length)*0.9|floor)] * 1000)] | @tsv' \
    "$W/net.json" | awk -F'\t' '{ printf "%-22s %10.2f %10.2f\n", $1, $2, $3 }'
jq -r 'def med($n): [.results[] | select(.command == $n) | .median * 1000][0];
    "added by skiff slirp:       \((med("skiff slirp") - med("skiff none")) * 100 | round / 100) ms",
    "added by podman slirp4netns: \((med("podman slirp4netns") - med("podman none")) * 100 | round / 100) ms"' "$W/net.json"
fi

# --- (2) host -> container: python sends BYTES to the published port; the
# container's nc writes them to /dev/null and exits at EOF.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
send_py='import socket,sys,time
port,n=int(sys.argv[1]),int(sys.argv[2])
for _ in range(300):
    try:
        s=socket.create_connection(("127.0.0.1",port)); break
    except OSError: time.sleep(0.05)
buf=bytes(1<<20); t=time.monotonic(); left=n
while left>0:
    k=s.send(buf[:min(left,len(buf))]); left-=k
s.shutdown(socket.SHUT_WR); s.recv(1); print("%.3f" % (time.monotonic()-t))'
recv_py='import socket,sys,time
l=socket.socket(); l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); l.bind(("127.0.0.1",int(sys.argv[1]))); l.listen(1)
open(sys.argv[2],"w").close()
c,_=l.accept(); t=time.monotonic(); n=0
while True:
    b=c.recv(1<<20)
    if not b: break
    n+=len(b)
print("%.3f %d" % (time.monotonic()-t, n))'

h2c() { # h2c TOOL: seconds for BYTES host -> container
    local port pid
    port=$(free_port)
    if [[ $1 == skiff ]]; then
        as_user "$SKIFF_BIN" run --rm --network=slirp -p "127.0.0.1:$port:5000" "$IMG" sh -c 'nc -l -p 5000 >/dev/null' &
    else
        as_user podman run --rm --network=slirp4netns -p "127.0.0.1:$port:5000" "$IMG" sh -c 'nc -l -p 5000 >/dev/null' 2>/dev/null &
    fi
    pid=$!
    sleep 1
    python3 -c "$send_py" "$port" "$BYTES"
    wait "$pid" || true
}
c2h() { # c2h TOOL: seconds for BYTES container -> host
    local port pid out
    port=$(free_port)
    rm -f "$W/recv.ready"
    python3 -c "$recv_py" "$port" "$W/recv.ready" >"$W/recv.out" &
    pid=$!
    while [[ ! -e $W/recv.ready ]]; do sleep 0.05; done
    local cmd="head -c $BYTES /dev/zero | nc 10.0.2.2 $port"
    if [[ $1 == skiff ]]; then
        as_user "$SKIFF_BIN" run --rm --network=slirp "$IMG" sh -c "$cmd"
    else
        as_user podman run --rm --network=slirp4netns:allow_host_loopback=true "$IMG" sh -c "$cmd" 2>/dev/null
    fi
    wait "$pid"
    read -r secs n <"$W/recv.out"
    [[ $n == "$BYTES" ]] || die "$1: container -> host moved $n bytes, not $BYTES"
    echo "$secs"
}
echo
echo "## throughput, $BYTES bytes, one TCP stream (MiB/s; higher is better)"
: >"$W/rounds"
for ((round = 1; round <= ROUNDS; round++)); do
    for tool in skiff podman; do
        s1=$(h2c "$tool")
        s2=$(c2h "$tool")
        echo "$tool $s1 $s2" >>"$W/rounds"
        awk -v t="$tool" -v a="$s1" -v b="$s2" -v n="$BYTES" \
            'BEGIN { printf "%-8s host->container %8.1f MiB/s (%.2f s)   container->host %8.1f MiB/s (%.2f s)\n", t, n/1048576/a, a, n/1048576/b, b }'
    done
done
if ((ROUNDS > 1)); then
    echo "## medians of $ROUNDS rounds (MiB/s)"
    for tool in skiff podman; do
        for col in 2 3; do
            awk -v t="$tool" -v c="$col" -v n="$BYTES" '$1 == t { print n/1048576/$c }' "$W/rounds" | sort -g |
                awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m }'
        done | paste -sd' ' | awk -v t="$tool" '{ printf "%-8s host->container %8.1f   container->host %8.1f\n", t, $1, $2 }'
    done
fi
echo
echo "# load after: $(uptime)"
