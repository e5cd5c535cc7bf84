// -p parsing, the network plan, and the generated resolv.conf and hosts.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "engine/network_plan.hpp"
#include "net/gateway_guard.hpp"
#include "net/port_spec.hpp"
#include "util/error.hpp"

using namespace skiff;

TEST_CASE("-p forms") {
    auto one = [](const std::string& v) {
        auto b = net::parse_publish(v);
        REQUIRE(b.size() == 1);
        return net::encode(b[0]);
    };
    CHECK(one("8080:80") == "tcp::8080:80");
    CHECK(one("127.0.0.1:8080:80") == "tcp:127.0.0.1:8080:80");
    CHECK(one("127.0.0.1::80") == "tcp:127.0.0.1:0:80");
    CHECK(one("80") == "tcp::0:80");
    CHECK(one("53:53/udp") == "udp::53:53");
    auto r = net::parse_publish("127.0.0.1:8080-8082:80-82/udp");
    REQUIRE(r.size() == 3);
    CHECK(net::encode(r[2]) == "udp:127.0.0.1:8082:82");
    CHECK(net::parse_publish("80-81").size() == 2);
    CHECK_THROWS_AS(net::parse_publish("8080:80/sctp"), Error);
    CHECK_THROWS_AS(net::parse_publish("8080-8081:80"), Error);
    CHECK_THROWS_AS(net::parse_publish("x:80"), Error);
    CHECK_THROWS_AS(net::parse_publish("1.2.3:80:80"), Error);
    // IPv6 host addresses, in brackets as docker writes them.
    CHECK(one("[::1]:8080:80") == "tcp:[::1]:8080:80");
    CHECK(one("[::]::80/udp") == "udp:[::]:0:80");
    CHECK(net::describe(net::parse_publish("[fd00::1]:8080:80")[0]) == "80/tcp -> [fd00::1]:8080");
    auto six = net::decode("tcp:[::1]:8080:80");
    CHECK(six.host_ip == "::1");
    CHECK(six.host_port == 8080);
    CHECK(six.container_port == 80);
    CHECK(net::is_ipv6(six));
    CHECK(net::host_text(six) == "[::1]");
    CHECK(net::decode("udp:127.0.0.1:53:53").host_ip == "127.0.0.1");
    CHECK(net::decode("tcp::8080:80").host_ip.empty());
    CHECK_THROWS_WITH(net::parse_publish("::1:8080:80"), Catch::Contains("in brackets"));
    CHECK_THROWS_AS(net::parse_publish("[1.2.3.4]:80:80"), Error);
    CHECK_THROWS_AS(net::parse_publish("[::1:80:80"), Error);
    CHECK_THROWS_AS(net::decode("tcp:[::1:8080:80"), Error);
    CHECK_THROWS_AS(net::parse_publish("70000:80"), Error);
    CHECK_THROWS_AS(net::parse_publish(""), Error);
}

TEST_CASE("encoded bindings round-trip and describe as podman port does") {
    net::PortBinding b = net::decode("udp:127.0.0.1:5353:53");
    CHECK(b.protocol == "udp");
    CHECK(b.host_port == 5353);
    CHECK(net::describe(b) == "53/udp -> 127.0.0.1:5353");
    CHECK(net::describe(net::decode("tcp::8080:80")) == "80/tcp -> 0.0.0.0:8080");
    CHECK_THROWS_AS(net::decode("tcp:1:2"), Error);
}

TEST_CASE("network modes") {
    Config c;
    engine::NetworkRequest r;
    r.network = "slirp:mtu=1500";
    auto p = engine::plan_network(r, c, true, {});
    CHECK(p.mode == runtime::NetworkMode::slirp);
    CHECK(p.mtu == 1500);
    r.network = "slirp:mtu=10";
    CHECK_THROWS_AS(engine::plan_network(r, c, true, {}), Error);
    r.network = "bogus";
    try {
        engine::plan_network(r, c, true, {});
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("none, host, slirp") != std::string::npos);
        CHECK(e.exit_code() == 125);
    }
    r.network = "none";
    r.publish = {"8080:80"};
    CHECK_THROWS_AS(engine::plan_network(r, c, true, {}), Error);
    r.network = "slirp";
    r.publish = {"8080:80"};
    r.publish_all = true;
    p = engine::plan_network(r, c, true, {"80/tcp", "53/udp"});
    REQUIRE(p.ports.size() == 2);
    CHECK(net::encode(p.ports[1]) == "udp::0:53");
}

TEST_CASE("resolv.conf and hosts") {
    Config c;
    engine::NetworkRequest r;
    r.network = "slirp";
    auto p = engine::plan_network(r, c, true, {});
    std::string host = "nameserver 127.0.0.53\nsearch example.com\noptions edns0\n";
    CHECK(engine::resolv_conf_for(p, host) == "search example.com\nnameserver 10.0.2.3\noptions edns0\n");
    r.network = "host";
    p = engine::plan_network(r, c, true, {});
    CHECK(engine::resolv_conf_for(p, host) == "search example.com\nnameserver 127.0.0.53\noptions edns0\n");
    r.dns = {"192.0.2.1"};
    r.dns_search = {"."};
    r.dns_option = {"ndots:2"};
    r.add_host = {"db:192.0.2.9"};
    p = engine::plan_network(r, c, true, {});
    CHECK(engine::resolv_conf_for(p, host) == "nameserver 192.0.2.1\noptions ndots:2\n");
    CHECK(engine::hosts_for(p, "h1").find("192.0.2.9\tdb\n") != std::string::npos);
    r.add_host = {"nocolon"};
    CHECK_THROWS_AS(engine::plan_network(r, c, true, {}), Error);
    r.add_host = {};
    r.dns = {"not-an-ip"};
    CHECK_THROWS_AS(engine::plan_network(r, c, true, {}), Error);
}

TEST_CASE("publishing without --network selects slirp when the default is none") {
    Config c;
    engine::NetworkRequest r;
    r.publish = {"8080:80"};
    auto p = engine::plan_network(r, c, false, {}); // root: default none
    CHECK(p.mode == runtime::NetworkMode::slirp);
    c.network = "none"; // configured explicitly: an error, not a silent change
    CHECK_THROWS_AS(engine::plan_network(r, c, false, {}), Error);
}

namespace {

// An Ethernet frame with an IPv4 packet: proto 6 (TCP) or 17 (UDP).
std::vector<uint8_t> frame(const uint8_t (&src)[4], const uint8_t (&dst)[4], uint8_t proto, uint16_t sport,
                           uint16_t dport, uint8_t tcp_flags = 0) {
    std::vector<uint8_t> f(14 + 20 + 20, 0);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t* ip = f.data() + 14;
    ip[0] = 0x45;
    ip[9] = proto;
    std::copy(src, src + 4, ip + 12);
    std::copy(dst, dst + 4, ip + 16);
    uint8_t* l4 = ip + 20;
    l4[0] = static_cast<uint8_t>(sport >> 8);
    l4[1] = static_cast<uint8_t>(sport);
    l4[2] = static_cast<uint8_t>(dport >> 8);
    l4[3] = static_cast<uint8_t>(dport);
    l4[13] = tcp_flags;
    return f;
}

constexpr uint8_t kCtr[4] = {10, 0, 2, 100};
constexpr uint8_t kGw[4] = {10, 0, 2, 2};
constexpr uint8_t kDns[4] = {10, 0, 2, 3};
constexpr uint8_t kOut[4] = {192, 0, 2, 9};

} // namespace

TEST_CASE("the gateway guard: the host's loopback stays closed, answers through published ports pass") {
    net::GatewayGuard g({9999});
    auto allow = [&](const std::vector<uint8_t>& f) { return g.allow(f.data(), f.size()); };
    // Elsewhere: untouched.
    CHECK(allow(frame(kCtr, kOut, 17, 4000, 53)));
    CHECK(allow(frame(kCtr, kDns, 17, 4000, 53)));
    CHECK(allow(frame(kCtr, kOut, 6, 4000, 80, 0x02)));
    // To the gateway: no new TCP connection, no UDP, no ICMP.
    CHECK_FALSE(allow(frame(kCtr, kGw, 6, 4000, 8080, 0x02)));
    CHECK(allow(frame(kCtr, kGw, 6, 8080, 40000, 0x12))); // SYN-ACK of a published TCP port
    CHECK(allow(frame(kCtr, kGw, 6, 8080, 40000, 0x10)));
    CHECK_FALSE(allow(frame(kCtr, kGw, 17, 9999, 40000)));
    CHECK_FALSE(allow(frame(kCtr, kGw, 1, 0, 0)));
    // A datagram from the host's loopback to the published UDP port opens
    // the way back to that peer only.
    auto in = frame(kGw, kCtr, 17, 40000, 9999);
    g.to_container(in.data(), in.size());
    CHECK(allow(frame(kCtr, kGw, 17, 9999, 40000)));
    CHECK_FALSE(allow(frame(kCtr, kGw, 17, 9999, 40001)));
    CHECK_FALSE(allow(frame(kCtr, kGw, 17, 5000, 40000)));
    // Not to an unpublished port.
    auto other = frame(kGw, kCtr, 17, 40002, 5000);
    g.to_container(other.data(), other.size());
    CHECK_FALSE(allow(frame(kCtr, kGw, 17, 5000, 40002)));
    // Not IPv4, or cut short: only what is not IPv4 passes.
    std::vector<uint8_t> arp(42, 0);
    arp[12] = 0x08;
    arp[13] = 0x06;
    CHECK(g.allow(arp.data(), arp.size()));
    auto cut = frame(kCtr, kGw, 17, 9999, 40000);
    CHECK_FALSE(g.allow(cut.data(), 14 + 20 + 4));
}

namespace {

// An Ethernet frame with an IPv6 packet to dst (last byte; fd00::X),
// next header nh, and 8 bytes after the fixed header (type first).
std::vector<uint8_t> frame6(uint8_t dst_last, uint8_t nh, uint8_t type_or_port_hi) {
    std::vector<uint8_t> f(14 + 40 + 8, 0);
    f[12] = 0x86;
    f[13] = 0xdd;
    uint8_t* ip = f.data() + 14;
    ip[0] = 0x60;
    ip[6] = nh;
    ip[8] = 0xfd;    // src fd00::100
    ip[8 + 15] = 100;
    ip[24] = 0xfd;   // dst fd00::dst_last
    ip[24 + 15] = dst_last;
    ip[40] = type_or_port_hi;
    return f;
}

// An Ethernet frame with an IPv6 TCP or UDP packet from fd00::SRC:sport to
// fd00::DST:dport, with TCP flags.
std::vector<uint8_t> segment6(uint8_t src_last, uint8_t dst_last, uint8_t nh, uint16_t sport, uint16_t dport,
                              uint8_t flags = 0) {
    std::vector<uint8_t> f(14 + 40 + 20, 0);
    f[12] = 0x86;
    f[13] = 0xdd;
    uint8_t* ip = f.data() + 14;
    ip[0] = 0x60;
    ip[6] = nh;
    ip[8] = 0xfd;
    ip[8 + 15] = src_last;
    ip[24] = 0xfd;
    ip[24 + 15] = dst_last;
    uint8_t* l4 = ip + 40;
    l4[0] = static_cast<uint8_t>(sport >> 8);
    l4[1] = static_cast<uint8_t>(sport);
    l4[2] = static_cast<uint8_t>(dport >> 8);
    l4[3] = static_cast<uint8_t>(dport);
    l4[13] = flags;
    return f;
}

} // namespace

TEST_CASE("the gateway guard over IPv6: answers through published ports pass, nothing else but neighbour discovery") {
    net::GatewayGuard g({5353});
    auto allow = [&](const std::vector<uint8_t>& f) { return g.allow(f.data(), f.size()); };
    CHECK_FALSE(allow(segment6(100, 2, 6, 40000, 22, 0x02))); // a SYN of the container's own
    CHECK(allow(segment6(100, 2, 6, 8080, 40000, 0x12)));     // SYN-ACK of a published port
    CHECK(allow(segment6(100, 2, 6, 8080, 40000, 0x10)));     // data, ACK
    CHECK_FALSE(allow(segment6(100, 2, 17, 5353, 41000)));    // UDP before the host sent any
    auto in = segment6(2, 100, 17, 41000, 5353);              // the host's datagram to the published port
    g.to_container(in.data(), in.size());
    CHECK(allow(segment6(100, 2, 17, 5353, 41000)));          // its answer
    CHECK_FALSE(allow(segment6(100, 2, 17, 5353, 41001)));    // not to another peer
    auto other = segment6(2, 100, 17, 42000, 53);             // to an unpublished port: no way back
    g.to_container(other.data(), other.size());
    CHECK_FALSE(allow(segment6(100, 2, 17, 53, 42000)));
}

TEST_CASE("the gateway guard over IPv6: only neighbour discovery reaches fd00::2") {
    net::GatewayGuard g({});
    auto allow = [&](const std::vector<uint8_t>& f) { return g.allow(f.data(), f.size()); };
    CHECK(allow(frame6(3, 17, 0)));          // DNS at fd00::3
    CHECK(allow(frame6(9, 6, 0)));           // TCP elsewhere
    CHECK_FALSE(allow(frame6(2, 6, 0)));     // TCP to the gateway
    CHECK_FALSE(allow(frame6(2, 17, 0)));    // UDP to the gateway
    CHECK_FALSE(allow(frame6(2, 58, 128)));  // ping
    CHECK(allow(frame6(2, 58, 135)));        // neighbour solicitation
    CHECK(allow(frame6(2, 58, 133)));        // router solicitation
    CHECK_FALSE(allow(frame6(2, 0, 58)));    // hop-by-hop header first
    auto cut = frame6(2, 58, 135);
    CHECK_FALSE(g.allow(cut.data(), 14 + 30));
}

TEST_CASE("IPv6 for slirp: a global address on an interface other than lo") {
    const std::string lo_only = "00000000000000000000000000000001 01 80 10 80       lo\n";
    const std::string link_local = lo_only + "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n";
    const std::string global = link_local + "fd000000000000000000000000000002 04 40 00 82     eth0\n";
    CHECK_FALSE(engine::has_global_ipv6(""));
    CHECK_FALSE(engine::has_global_ipv6(lo_only));
    CHECK_FALSE(engine::has_global_ipv6(link_local));
    CHECK(engine::has_global_ipv6(global));
}
