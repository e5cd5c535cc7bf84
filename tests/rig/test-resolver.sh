#!/usr/bin/env bash
# A DNS resolver on the host's loopback for the rootless system tests:
# dnsmasq on 127.X.Y.53, port 53 (which takes root), answering
# skiff-dns.test with 192.0.2.77, and a resolv.conf that names it. The
# rootless suite runs in a mount namespace with that file bound over
# /etc/resolv.conf, so slirp's DNS forwarder (10.0.2.3) in an unprivileged
# user's container finds it, as it finds the host's resolver.
#
#   test-resolver.sh start STATEDIR   prints the resolver's address
#   test-resolver.sh stop STATEDIR
set -euo pipefail

die() { echo "test-resolver.sh: $*" >&2; exit 1; }
cmd=${1:-} state=${2:-}
[[ -n $cmd && -n $state ]] || die "usage: test-resolver.sh start|stop STATEDIR"

stop() {
    [[ -f $state/resolver.pid ]] || return 0
    local pid
    pid=$(<"$state/resolver.pid")
    grep -qa dnsmasq "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null || true
    rm -f "$state/resolver.pid"
}

case $cmd in
start)
    command -v dnsmasq >/dev/null || die "dnsmasq is missing (tests/rig/install-deps.sh installs dnsmasq-base)"
    stop
    ip=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).53
    : >"$state/resolver.log"
    setsid dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address="$ip" \
        --port=53 --address=/skiff-dns.test/192.0.2.77 --pid-file= --user=root --log-facility=- \
        >>"$state/resolver.log" 2>&1 </dev/null &
    echo $! >"$state/resolver.pid"
    for ((i = 0; i < 50; i++)); do
        grep -q started "$state/resolver.log" && break
        sleep 0.1
    done
    grep -q started "$state/resolver.log" || die "dnsmasq did not start: $(cat "$state/resolver.log")"
    printf 'nameserver %s\n' "$ip" >"$state/resolv.conf"
    chmod 644 "$state/resolv.conf"
    echo "$ip"
    ;;
stop) stop ;;
*) die "unknown command '$cmd' (start|stop)" ;;
esac
