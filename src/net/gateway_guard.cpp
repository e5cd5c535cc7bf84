#include "net/gateway_guard.hpp"

#include <algorithm>

namespace skiff::net {

namespace {

constexpr size_t kEth = 14;
constexpr uint8_t kGateway[4] = {10, 0, 2, 2};
constexpr uint8_t kTcp = 6, kUdp = 17;
constexpr size_t kMaxAnswers = 4096;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// An IPv4 (or, from parse6, IPv6) packet in an Ethernet frame: its fields, or
// (ok false) for anything else.
struct IpPacket {
    bool ok = false;
    bool v6 = false; // src and dst are 16 bytes
    const uint8_t* src = nullptr;
    const uint8_t* dst = nullptr;
    uint8_t proto = 0;
    bool first_fragment = true;
    const uint8_t* l4 = nullptr; // null when the transport header is not all there
    size_t l4_len = 0;
};

IpPacket parse(const uint8_t* f, size_t len) {
    IpPacket ip;
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

// The same for an IPv6 packet (no extension headers: a packet with one is
// not a TCP, UDP or ICMPv6 packet here). src and dst point at 16 bytes.
IpPacket parse6(const uint8_t* f, size_t len) {
    IpPacket ip;
    if (len < kEth + 40 || be16(f + 12) != 0x86dd) return ip;
    const uint8_t* h = f + kEth;
    if ((h[0] >> 4) != 6) return ip;
    ip.ok = true;
    ip.v6 = true;
    ip.src = h + 8;
    ip.dst = h + 24;
    ip.proto = h[6];
    ip.l4 = h + 40;
    ip.l4_len = len - kEth - 40;
    return ip;
}

// 10.0.2.2 or fd00::2, as the packet's family says.
bool is_gateway(const IpPacket& ip, const uint8_t* a) {
    return ip.v6 ? std::equal(a, a + 16, kGateway6) : is_gateway(a);
}

bool is_ipv6_frame(const uint8_t* f, size_t len) { return len >= kEth && be16(f + 12) == 0x86dd; }

// A TCP or UDP packet from the container to the gateway: whether it answers
// the host (a connection or datagram that came in through a published port).
bool answer_of(const IpPacket& ip, const std::set<std::pair<uint16_t, uint16_t>>& answers) {
    if (ip.l4 == nullptr) return false;
    if (ip.proto == kTcp) {
        // Answers within connections that came in through published
        // ports (from the gateway) pass; a SYN of its own does not.
        if (ip.l4_len < 14) return false;
        uint8_t flags = ip.l4[13];
        return !((flags & 0x02) && !(flags & 0x10));
    }
    if (ip.proto == kUdp) {
        if (ip.l4_len < 8) return false;
        return answers.count({be16(ip.l4), be16(ip.l4 + 2)}) > 0;
    }
    return false;
}

} // namespace

void GatewayGuard::to_container(const uint8_t* frame, size_t len) {
    if (udp_ports_.empty()) return;
    IpPacket ip = is_ipv6_frame(frame, len) ? parse6(frame, len) : parse(frame, len);
    if (!ip.ok || ip.proto != kUdp || !is_gateway(ip, ip.src) || ip.l4 == nullptr || ip.l4_len < 8) return;
    uint16_t from = be16(ip.l4), to = be16(ip.l4 + 2);
    if (std::find(udp_ports_.begin(), udp_ports_.end(), to) == udp_ports_.end()) return;
    if (answers_.size() >= kMaxAnswers) answers_.clear(); // old peers ask again
    answers_.insert({to, from});
}

bool GatewayGuard::allow(const uint8_t* frame, size_t len) const {
    if (is_ipv6_frame(frame, len)) {
        IpPacket ip = parse6(frame, len);
        if (!ip.ok) return false;
        if (!is_gateway(ip, ip.dst)) return true;
        // Neighbour discovery (router solicitation to advertisement).
        if (ip.proto == kIcmp6) return ip.l4_len >= 4 && ip.l4[0] >= 133 && ip.l4[0] <= 137;
        return answer_of(ip, answers_);
    }
    IpPacket ip = parse(frame, len);
    if (!ip.ok || !is_gateway(ip.dst)) return true;
    // The rest of a datagram whose first fragment was let through (or not:
    // then slirp cannot reassemble it).
    if (!ip.first_fragment) return true;
    return answer_of(ip, answers_);
}

} // namespace skiff::net
