#!/usr/bin/env bats
#
# Networking: slirp (tap0, default route, resolv.conf, hosts), published TCP
# and UDP ports (the busybox fixture's nc has no -u: UDP uses tools/udp-echo.c,
# compiled static and bind-mounted), a busy or privileged host port, DNS
# through slirp's forwarder to a resolver on the host's loopback (dnsmasq),
# the host's loopback through the gateway only when configured,
# --dns*/--add-host, none/host, unknown modes, `skiff port` and inspect's
# NetworkSettings.Ports.  Traffic goes only to loopback.  The teardown's leak
# check fails a test that leaves a network helper behind.

load helpers

setup_file() { prepull "$IMAGE"; }

setup() {
    basic_setup
    require_rig
    [[ -r /dev/net/tun && -w /dev/net/tun ]] || skip "/dev/net/tun is not accessible"
}

teardown() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    BG_PIDS=()
    basic_teardown
}

BG_PIDS=()

# A free TCP port on 127.0.0.1 (free now; the test binds it soon after);
# free_port udp: a free UDP port.
free_port() {
    local type=SOCK_STREAM
    [[ ${1:-} == udp ]] && type=SOCK_DGRAM
    python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.$type); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"
}

# bg_skiff OUTFILE ARGS...: skiff in the background (foreground containers
# are all there is for now); its pid goes to BG_PIDS, stopped in teardown.
bg_skiff() {
    local out=$1
    shift
    # shellcheck disable=SC2046
    "$SKIFF_BIN" $(store_args) "$@" >"$out" 2>&1 </dev/null &
    BG_PIDS+=($!)
}

@test "network: slirp gives tap0 10.0.2.100/24, a default route via 10.0.2.2 and DNS at 10.0.2.3" {
    sk run --rm --network slirp "$IMAGE" sh -c 'ip addr show tap0; ip route; cat /etc/resolv.conf; ip link show lo'
    assert_contains "$output" "inet 10.0.2.100/24"
    assert_contains "$output" "default via 10.0.2.2 dev tap0"
    assert_contains "$output" "mtu 65520"
    assert_contains "$output" "nameserver 10.0.2.3"
    assert_contains "$output" "LOOPBACK,UP"
    sk run --rm --network slirp:mtu=1500 "$IMAGE" ip link show tap0
    assert_contains "$output" "mtu 1500"
    sk 125 run --rm --network slirp:mtu=1 "$IMAGE" true
    assert_contains "$output" "mtu"
    sk 125 run --rm --network slirp:bogus=1 "$IMAGE" true
    assert_contains "$output" "bogus"
}

@test "network: the default is what skiff info reports" {
    sk info --format json
    local mode
    mode=$(jq -r .network.defaultMode <<<"$output")
    if is_rootless; then
        assert_equal "$mode" slirp
        sk run --rm "$IMAGE" ls /sys/class/net
        assert_equal "$(tr '\n' ' ' <<<"$output")" "lo tap0 "
    else
        assert_equal "$mode" none
        sk run --rm "$IMAGE" ls /sys/class/net
        assert_equal "$output" "lo"
    fi
}

@test "network: -p publishes a TCP port that curl on the host reaches; skiff port shows it" {
    local port name=web$(random_string 6)
    port=$(free_port)
    bg_skiff "$BATS_TEST_TMPDIR/out" run --rm --init --name "$name" -p "127.0.0.1:$port:8080" "$IMAGE" \
        sh -c 'mkdir -p /www && echo hello-from-slirp >/www/index.html && exec httpd -f -p 8080 -h /www'
    wait_for_port 127.0.0.1 "$port" 20
    http_get "http://127.0.0.1:$port/index.html" hello-from-slirp
    assert_equal "$output" "hello-from-slirp" "curl through the published port (skiff said: $(cat "$BATS_TEST_TMPDIR/out"))"
    sk port "$name"
    assert_equal "$output" "8080/tcp -> 127.0.0.1:$port"
    sk port "$name" 8080
    assert_equal "$output" "127.0.0.1:$port"
    sk 125 port "$name" 9999
    sk inspect --format json "$name"
    assert_equal "$(jq -r '.[0].NetworkSettings.Ports["8080/tcp"][0] | "\(.HostIp):\(.HostPort)"' <<<"$output")" \
        "127.0.0.1:$port"
    kill -TERM "${BG_PIDS[0]}"
    wait "${BG_PIDS[0]}" || true
    BG_PIDS=()
    # The helper is gone with the container: the port can be listened on
    # again (SO_REUSEADDR: curl's connection may linger in TIME_WAIT).
    python3 -c "import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$port)); s.listen()"
}

@test "network: -p [::1]:PORT:CPORT publishes on the host's IPv6 loopback, and only there" {
    grep -q ' lo$' /proc/net/if_inet6 2>/dev/null || skip "the host's lo has no IPv6 address"
    local port name=web6$(random_string 6)
    port=$(free_port)
    bg_skiff "$BATS_TEST_TMPDIR/out" run --rm --init --name "$name" -p "[::1]:$port:8080" "$IMAGE" \
        sh -c 'mkdir -p /www && echo hello-over-v6 >/www/index.html && exec httpd -f -p 8080 -h /www'
    wait_for_port ::1 "$port" 20
    local i
    for ((i = 0; i < 50; i++)); do
        output=$(curl -g -sS --max-time 10 "http://[::1]:$port/index.html" 2>&1) || true
        [[ $output == hello-over-v6 ]] && break
        sleep 0.2
    done
    assert_equal "$output" "hello-over-v6" "curl through [::1] (skiff said: $(cat "$BATS_TEST_TMPDIR/out"))"
    sk port "$name"
    assert_equal "$output" "8080/tcp -> [::1]:$port"
    sk ps --format '{{.Ports}}' --filter "name=$name"
    assert_equal "$output" "[::1]:$port->8080/tcp"
    # Bound IPv6-only: the same port on 127.0.0.1 is not the container's.
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "127.0.0.1:$port answers too"
    sk 125 run --rm -p "::1:$port:8080" "$IMAGE" true
    assert_contains "$output" "in brackets"
}

@test "network: -p IP:PORT:CPORT/udp publishes a UDP port: the container answers a datagram from the host" {
    local port name=udp$(random_string 6) echo_bin=$BATS_TEST_TMPDIR/udp-echo
    cc -static -O2 -o "$echo_bin" "$BATS_TEST_DIRNAME/tools/udp-echo.c" || die "cannot compile tools/udp-echo.c"
    port=$(free_port udp)
    bg_skiff "$BATS_TEST_TMPDIR/out" run --rm --init --name "$name" -p "127.0.0.1:$port:9999/udp" \
        -v "$echo_bin:/udp-echo:ro" "$IMAGE" /udp-echo 9999
    # UDP refuses nothing: send until the answer comes (the container may
    # not listen yet).
    run python3 - "$port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
for _ in range(100):
    s.sendto(b"ping-udp", ("127.0.0.1", int(sys.argv[1])))
    try:
        print(s.recvfrom(2048)[0].decode())
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY
    assert_equal "$output" "echo:ping-udp" "a datagram through the published UDP port (skiff said: $(cat "$BATS_TEST_TMPDIR/out"))"
    sk port "$name" 9999/udp
    assert_equal "$output" "127.0.0.1:$port"
    sk port "$name"
    assert_equal "$output" "9999/udp -> 127.0.0.1:$port"
    sk inspect --format json "$name"
    assert_equal "$(jq -r '.[0].NetworkSettings.Ports["9999/udp"][0].HostPort' <<<"$output")" "$port"
    kill -TERM "${BG_PIDS[0]}"
    wait "${BG_PIDS[0]}" || true
    BG_PIDS=()
    # The helper is gone with the container: the UDP port is free again.
    python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1',$port))"
}

@test "network: slirp's DNS forwarder (10.0.2.3) reaches a resolver on the host's loopback" {
    # libslirp forwards 10.0.2.3 to the nameservers of the host's
    # /etc/resolv.conf, on port 53 (systemd-resolved's 127.0.0.53, say).
    # Pointing that file at a test resolver takes a private mount namespace.
    # Rootless, tests/run_all.sh has done that for the whole run (port 53
    # and the bind mount take root): tests/rig/test-resolver.sh.
    if is_rootless; then
        [[ -n ${SKIFF_TEST_RESOLVER:-} ]] ||
            skip "needs the resolver and resolv.conf that tests/run_all.sh sets up (tests/rig/test-resolver.sh)"
        grep -qx "nameserver $SKIFF_TEST_RESOLVER" /etc/resolv.conf ||
            die "/etc/resolv.conf does not name the test resolver $SKIFF_TEST_RESOLVER: $(cat /etc/resolv.conf)"
        sk run --rm --network slirp "$IMAGE" sh -c 'cat /etc/resolv.conf; nslookup -type=a skiff-dns.test'
        assert_contains "$output" "nameserver 10.0.2.3"
        assert_contains "$output" "192.0.2.77"
        return
    fi
    command -v dnsmasq >/dev/null || die "dnsmasq is missing (tests/rig/install-deps.sh installs dnsmasq-base)"
    local ip=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).53
    dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address="$ip" --port=53 \
        --address=/skiff-dns.test/192.0.2.77 --pid-file= --user=root --log-facility=- \
        >"$BATS_TEST_TMPDIR/dnsmasq.log" 2>&1 &
    BG_PIDS+=($!)
    local i
    for ((i = 0; i < 50; i++)); do
        grep -q "started" "$BATS_TEST_TMPDIR/dnsmasq.log" && break
        sleep 0.1
    done
    grep -q "started" "$BATS_TEST_TMPDIR/dnsmasq.log" || die "dnsmasq did not start: $(cat "$BATS_TEST_TMPDIR/dnsmasq.log")"
    printf 'nameserver %s\n' "$ip" >"$BATS_TEST_TMPDIR/resolv.conf"
    # shellcheck disable=SC2046
    run unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh "$BATS_TEST_TMPDIR/resolv.conf" \
        "$SKIFF_BIN" $(store_args) run --rm --network slirp "$IMAGE" \
        sh -c 'cat /etc/resolv.conf; nslookup -type=a skiff-dns.test'
    [[ $status -eq 0 ]] || die "nslookup through slirp failed ($status): $output"
    assert_contains "$output" "nameserver 10.0.2.3"
    assert_contains "$output" "192.0.2.77"
}

@test "network: an ephemeral host port (IP::PORT) is bound and reported" {
    local name=eph$(random_string 6) hp
    bg_skiff "$BATS_TEST_TMPDIR/out" run --rm --init --name "$name" -p "127.0.0.1::8080" "$IMAGE" \
        sh -c 'mkdir -p /www && echo eph >/www/index.html && exec httpd -f -p 8080 -h /www'
    for _ in $(seq 100); do
        run "$SKIFF_BIN" $(store_args) port "$name" 8080
        [[ $status -eq 0 ]] && break
        sleep 0.1
    done
    hp=${output##*:}
    [[ $hp =~ ^[0-9]+$ ]] || die "no port reported: $output"
    wait_for_port 127.0.0.1 "$hp" 20
    http_get "http://127.0.0.1:$hp/index.html" eph
    assert_equal "$output" "eph"
}

@test "network: a busy host port fails the run naming the port, and nothing is left running" {
    local port
    port=$(free_port)
    python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$port)); s.listen(); time.sleep(30)" &
    BG_PIDS+=($!)
    wait_for_port 127.0.0.1 "$port"
    sk 125 run --name busy -p "127.0.0.1:$port:80" "$IMAGE" echo must-not-run
    assert_contains "$output" "127.0.0.1:$port/tcp"
    assert_contains "$output" "already in use"
    [[ $output != *must-not-run* ]] || die "the container ran"
}

@test "network: skiff run returns only after its network helper is gone, even when the container exits at once" {
    local port
    port=$(free_port)
    # skiff runs under a subreaper: a helper left to finish after skiff
    # returned would become the subreaper's child, and is reported at once
    # (the teardown's leak check would give it time to go). `true` exits
    # while the helper may still be starting (it is killed); with -p the
    # helper has answered and serves (it follows the container's exit).
    # shellcheck disable=SC2046
    run python3 - "$SKIFF_BIN" $(store_args) -- "$IMAGE" "$port" <<'PY'
import ctypes, os, subprocess, sys
args = sys.argv[1:]
cut = args.index("--")
skiff, image, port = args[:cut], args[cut + 1], args[cut + 2]
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
runs = [["run", "--rm", "--network", "slirp", image, "true"]] * 3
runs += [["run", "--rm", "--network", "slirp", "-p", f"127.0.0.1:{port}:80", image, "true"]] * 3
for r in runs:
    p = subprocess.run(skiff + r)
    if p.returncode != 0:
        sys.exit(f"skiff {' '.join(r)}: exit {p.returncode}")
    with open(f"/proc/self/task/{os.getpid()}/children") as f:
        left = f.read().split()
    if left:
        cmds = [open(f"/proc/{k}/cmdline").read().replace("\0", " ") for k in left]
        sys.exit(f"left behind by skiff {' '.join(r)}: {cmds}")
print("none left")
PY
    assert_equal "$output" "none left"
}

@test "network: rootless, a host port below ip_unprivileged_port_start fails and says why" {
    skip_if_root
    local start
    start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
    ((start > 1)) || skip "every port is unprivileged here"
    sk 125 run --rm -p "127.0.0.1:$((start - 1)):80" "$IMAGE" true
    assert_contains "$output" "ip_unprivileged_port_start"
}

@test "network: the host's loopback is reachable through 10.0.2.2 only when configured" {
    local port
    port=$(free_port)
    mkdir -p "$BATS_TEST_TMPDIR/srv"
    echo from-host >"$BATS_TEST_TMPDIR/srv/f"
    python3 -m http.server --bind 127.0.0.1 --directory "$BATS_TEST_TMPDIR/srv" "$port" >/dev/null 2>&1 &
    BG_PIDS+=($!)
    wait_for_port 127.0.0.1 "$port"
    # --init: busybox timeout signals the command it runs, which as PID 1
    # would ignore SIGTERM (the dropped SYN then hangs for two minutes).
    sk '?' run --rm --init --network slirp "$IMAGE" timeout 3 wget -q -O - "http://10.0.2.2:$port/f"
    [[ $status -ne 0 && $output != *from-host* ]] || die "the host's loopback was reachable without host-loopback"
    printf 'network:\n  host-loopback: true\n' >"$BATS_TEST_TMPDIR/config.yaml"
    sk --config "$BATS_TEST_TMPDIR/config.yaml" run --rm --network slirp "$IMAGE" \
        sh -c "timeout 5 wget -q -O - http://host.containers.internal:$port/f"
    assert_equal "$output" "from-host"
}

@test "network: with IPv6 on the host, tap0 also has fd00::100/64 via fd00::2; the host's ::1 only when configured" {
    awk '$4 == "00" && $6 != "lo" {found = 1} END {exit !found}' /proc/net/if_inet6 2>/dev/null ||
        skip "the host has no global IPv6 address"
    sk run --rm --network slirp "$IMAGE" sh -c 'ip -6 addr show tap0; ip -6 route'
    assert_contains "$output" "inet6 fd00::100/64 scope global"
    [[ $output != *tentative* ]] || die "tap0's addresses are still tentative (duplicate address detection)"
    assert_contains "$output" "default via fd00::2 dev tap0"
    local port
    port=$(free_port)
    mkdir -p "$BATS_TEST_TMPDIR/srv"
    echo from-host-v6 >"$BATS_TEST_TMPDIR/srv/f"
    python3 -m http.server --bind ::1 --directory "$BATS_TEST_TMPDIR/srv" "$port" >/dev/null 2>&1 &
    BG_PIDS+=($!)
    wait_for_port ::1 "$port"
    sk '?' run --rm --init --network slirp "$IMAGE" timeout 3 wget -q -O - "http://[fd00::2]:$port/f"
    [[ $status -ne 0 && $output != *from-host* ]] || die "the host's ::1 was reachable without host-loopback"
    printf 'network:\n  host-loopback: true\n' >"$BATS_TEST_TMPDIR/config.yaml"
    sk --config "$BATS_TEST_TMPDIR/config.yaml" run --rm --init --network slirp "$IMAGE" \
        timeout 5 wget -q -O - "http://[fd00::2]:$port/f"
    assert_equal "$output" "from-host-v6"
}

@test "network: --network container:A shares A's network: B reaches A's server on 127.0.0.1" {
    local name=pod$(random_string 6)
    bg_skiff "$BATS_TEST_TMPDIR/a.out" run --init --name "$name" --network slirp "$IMAGE" \
        sh -c 'mkdir -p /www && echo from-a >/www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www'
    local i
    for i in $(seq 100); do
        run "$SKIFF_BIN" $(store_args) run --rm --init --network "container:$name" "$IMAGE" \
            timeout 2 wget -q -O - http://127.0.0.1:8080/index.html
        [[ $status -eq 0 ]] && break
        sleep 0.1
    done
    assert_equal "$output" "from-a" "B through A's loopback (A said: $(cat "$BATS_TEST_TMPDIR/a.out"))"
    sk run --rm --network "container:$name" "$IMAGE" ls /sys/class/net
    assert_equal "$(tr '\n' ' ' <<<"$output")" "lo tap0 "
    kill -TERM "${BG_PIDS[0]}"
    wait "${BG_PIDS[0]}" || true
    BG_PIDS=()
    sk 125 run --rm --network "container:$name" "$IMAGE" true
    assert_contains "$output" "not running"
}

@test "network: --dns, --dns-search, --dns-option and --add-host" {
    sk run --rm --dns 192.0.2.53 --dns-search example.test --dns-option ndots:3 \
        --add-host db.example.test:192.0.2.7 "$IMAGE" sh -c 'cat /etc/resolv.conf; cat /etc/hosts'
    assert_contains "$output" "nameserver 192.0.2.53"
    assert_contains "$output" "search example.test"
    assert_contains "$output" "options ndots:3"
    assert_contains "$output" "192.0.2.7	db.example.test"
    sk 125 run --rm --dns not-an-ip "$IMAGE" true
    sk 125 run --rm --add-host nocolon "$IMAGE" true
}

@test "network: modes none and host; ports need slirp; unknown modes list the valid ones" {
    sk run --rm --network none "$IMAGE" cat /etc/resolv.conf
    [[ $output != *10.0.2.3* ]] || die "none mode points at slirp's DNS"
    sk 125 run --rm --network none -p 8080:80 "$IMAGE" true
    assert_contains "$output" "slirp"
    sk 125 run --rm --network bogus "$IMAGE" true
    assert_contains "$output" "none, host, slirp"
    sk 125 run --rm --network container:no-such-ctr "$IMAGE" true
    assert_contains "$output" "no-such-ctr"
    sk 125 run --rm -p 1.2.3:80:80 "$IMAGE" true
    sk 125 run --rm -p 8080:80/sctp "$IMAGE" true
}
