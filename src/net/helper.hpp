// The per-container network helper: the skiff binary re-executed as
// `skiff __slirp PID JOIN_USERNS MTU HOST_LOOPBACK [PORT...]` with a
// readiness pipe on fd 3. It creates the tap device in the container's
// namespaces, binds the published ports, says "ok" (or the error) on fd 3,
// and then runs libslirp until the container's process exits (a pidfd), so
// it never outlives the container.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "net/slirp_loop.hpp"

namespace skiff::net {

struct HelperRequest {
    pid_t pid = 0;
    bool join_userns = false;
    bool detached = false; // started for a detached container: no stderr

    SlirpOptions slirp;
};

// The parent's handle: kills and reaps the helper if it is still running
// when destroyed (a failed start); wait() reaps it after the container exited.
class NetworkHelper {
public:
    NetworkHelper() = default;
    NetworkHelper(NetworkHelper&& o) noexcept;
    NetworkHelper& operator=(NetworkHelper&& o) noexcept;
    ~NetworkHelper();

    // Starts the helper and waits until the ports are bound and the tap is
    // up. Throws Error with the helper's message on failure.
    static NetworkHelper start(const HelperRequest& req);

    const std::vector<PortBinding>& bound() const { return bound_; }
    pid_t pid() const { return pid_; }
    void wait(); // the container has exited: the helper follows it
    // A detached container: the helper is left to the container's monitor
    // (the subreaper that reaps it); this handle forgets it.
    void release() { pid_ = -1; }

private:
    pid_t pid_ = -1;
    std::vector<PortBinding> bound_;
};

// `skiff __slirp ...` (args after the role word). Returns the exit code.
int slirp_helper_main(const std::vector<std::string>& args);

} // namespace skiff::net
