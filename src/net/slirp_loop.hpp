// The network helper's main loop: libslirp between the container's tap
// device and the host's sockets, with published ports bound on the host.
#pragma once

#include <string>
#include <vector>

#include "net/port_spec.hpp"
#include "util/fd.hpp"

namespace skiff::net {

struct SlirpOptions {
    int mtu = 65520;
    bool host_loopback = false; // 10.0.2.2 reaches the host's 127.0.0.1
    bool ipv6 = false;          // fd00::/64 as well: the container is fd00::100
    std::vector<PortBinding> ports;
};

// Binds every port (an ephemeral one gets its number here) and returns the
// bindings as bound. Throws Error naming the port that cannot be bound.
class SlirpNetwork {
public:
    explicit SlirpNetwork(const SlirpOptions& opt);
    ~SlirpNetwork();
    SlirpNetwork(const SlirpNetwork&) = delete;
    SlirpNetwork& operator=(const SlirpNetwork&) = delete;

    const std::vector<PortBinding>& bound() const { return bound_; }

    // Forwards packets between `tap` and the host until `until_fd` (a
    // pidfd) becomes readable; then forwards what the tap still holds.
    void run(UniqueFd tap, int until_fd);

    struct Impl;

private:
    Impl* impl_;
    std::vector<PortBinding> bound_;
};

} // namespace skiff::net
