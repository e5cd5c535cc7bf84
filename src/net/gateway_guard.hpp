// The host's loopback behind the gateway (10.0.2.2), closed to the
// container unless network.host-loopback is set.
//
// libslirp's own switch (disable_host_loopback) cannot be used for this: a
// datagram that comes from the host's loopback through a published UDP port
// reaches the container from 10.0.2.2, and that switch drops the
// container's answer as if it were a new packet to the host's loopback. So
// slirp keeps the gateway open and the helper filters the container's
// frames itself: no new TCP connection, no ICMP and no UDP to 10.0.2.2 or
// fd00::2 (IPv6), except UDP answers to a peer that sent to a published UDP
// port first, and IPv6 neighbour discovery.
// Pure logic on Ethernet frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

namespace skiff::net {

class GatewayGuard {
public:
    // udp_ports: the container's ports published as UDP.
    explicit GatewayGuard(std::vector<uint16_t> udp_ports) : udp_ports_(std::move(udp_ports)) {}

    // A frame slirp sends to the container: a datagram from 10.0.2.2:X (or
    // [fd00::2]:X) to a published UDP port P opens the way back from P to X.
    void to_container(const uint8_t* frame, size_t len);
    // A frame from the container: false when it must be dropped.
    bool allow(const uint8_t* frame, size_t len) const;

private:
    std::vector<uint16_t> udp_ports_;
    std::set<std::pair<uint16_t, uint16_t>> answers_; // (container port, gateway port)
};

} // namespace skiff::net
