// Published ports: parsing `-p` values into bindings, and their text form
// as `skiff port` and the container record show them. Pure logic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace skiff::net {

struct PortBinding {
    std::string protocol = "tcp"; // tcp | udp
    std::string host_ip;          // empty: all addresses (0.0.0.0); IPv6 without brackets
    uint16_t host_port = 0;       // 0: an ephemeral port, chosen before start
    uint16_t container_port = 0;
};

// HOSTPORT:CTRPORT, IP:HOSTPORT:CTRPORT, IP::CTRPORT, CTRPORT, with ranges
// (8080-8081:80-81) and a /tcp or /udp suffix; an IPv6 IP in brackets
// ([::1]:8080:80), as docker writes it. Throws Error (125) naming
// the value when it is malformed.
std::vector<PortBinding> parse_publish(const std::string& value);

// True for an IPv6 host address.
bool is_ipv6(const PortBinding& b);

// The host address as `port` and `ps` print it: "0.0.0.0" for all,
// "127.0.0.1", "[::1]".
std::string host_text(const PortBinding& b);

// "8080/tcp -> 127.0.0.1:8080", as podman port prints it.
std::string describe(const PortBinding& b);

// "tcp:127.0.0.1:8080:80" ("tcp:[::1]:8080:80"): the form passed to the network helper and kept
// in the container record; decode reverses it.
std::string encode(const PortBinding& b);
PortBinding decode(const std::string& s);

} // namespace skiff::net
