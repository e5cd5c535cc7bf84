#include "net/gateway_guard.hpp"

#include <algorithm>

namespace skiff::net {

namespace {

constexpr size_t kEth = 14;
constexpr uint8_t kGateway[4] = {10, 0, 2, 2};
constexpr uint8_t kTcp = 6, kUdp = 17;
constexpr size_t kMaxAnswers = 4096;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// An IPv4 packet in an Ethernet frame: its header's fields, or nullopt-like
// (ok false) for anything else.
struct Ipv4 {
    bool ok = false;
    const uint8_t* src = nullptr;
    const uint8_t* dst = nullptr;
    uint8_t proto = 0;
    bool first_fragment = true;
    const uint8_t* l4 = nullptr; // null when the transport header is not all there
    size_t l4_len = 0;
};

Ipv4 parse(const uint8_t* f, size_t len) {
    Ipv4 ip;
    if (len < kEth + 20 || be16(f + 12) != 0x0800) return ip;
    const uint8_t* h = f + kEth;
    size_t ihl = static_cast<size_t>(h[0] & 0x0f) * 4;
    if ((h[0] >> 4) != 4 || ihl < 20 || len < kEth + ihl) return ip;
    ip.ok = true;
    ip.src = h + 12;
    ip.dst = h + 16;
    ip.proto = h[9];
    ip.first_fragment = (be16(h + 6) & 0x1fff) == 0;
    if (ip.first_fragment) {
        ip.l4 = h + ihl;
        ip.l4_len = len - kEth - ihl;
    }
    return ip;
}

bool is_gateway(const uint8_t* a) { return std::equal(a, a + 4, kGateway); }

// fd00::2, the gateway's IPv6 address.
constexpr uint8_t kGateway6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
constexpr uint8_t kIcmp6 = 58;

// An IPv6 frame to the gateway may only be neighbour discovery (router
// solicitation to advertisement, ICMPv6 133-137): no published port is
// reached over IPv6, so nothing else to fd00::2 is an answer.
bool allow_ipv6(const uint8_t* f, size_t len) {
    if (len < kEth + 40) return false;
    const uint8_t* h = f + kEth;
    if ((h[0] >> 4) != 6) return false;
    if (!std::equal(h + 24, h + 40, kGateway6)) return true;
    if (h[6] != kIcmp6 || len < kEth + 40 + 4) return false;
    uint8_t type = h[40];
    return type >= 133 && type <= 137;
}

} // namespace

void GatewayGuard::to_container(const uint8_t* frame, size_t len) {
    if (udp_ports_.empty()) return;
    Ipv4 ip = parse(frame, len);
    if (!ip.ok || ip.proto != kUdp || !is_gateway(ip.src) || ip.l4 == nullptr || ip.l4_len < 8) return;
    uint16_t from = be16(ip.l4), to = be16(ip.l4 + 2);
    if (std::find(udp_ports_.begin(), udp_ports_.end(), to) == udp_ports_.end()) return;
    if (answers_.size() >= kMaxAnswers) answers_.clear(); // old peers ask again
    answers_.insert({to, from});
}

bool GatewayGuard::allow(const uint8_t* frame, size_t len) const {
    if (len >= kEth && be16(frame + 12) == 0x86dd) return allow_ipv6(frame, len);
    Ipv4 ip = parse(frame, len);
    if (!ip.ok || !is_gateway(ip.dst)) return true;
    // The rest of a datagram whose first fragment was let through (or not:
    // then slirp cannot reassemble it).
    if (!ip.first_fragment) return true;
    if (ip.l4 == nullptr) return false;
    if (ip.proto == kTcp) {
        // Answers within connections that came in through published
        // ports (from 10.0.2.2) pass; a SYN of its own does not.
        if (ip.l4_len < 14) return false;
        uint8_t flags = ip.l4[13];
        return !((flags & 0x02) && !(flags & 0x10));
    }
    if (ip.proto == kUdp) {
        if (ip.l4_len < 8) return false;
        return answers_.count({be16(ip.l4), be16(ip.l4 + 2)}) > 0;
    }
    return false;
}

} // namespace skiff::net
