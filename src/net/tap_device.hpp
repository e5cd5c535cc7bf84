// The container's end of user-mode networking: a tap device created inside
// the container's network namespace and configured as slirp expects
// (10.0.2.100/24, default route via 10.0.2.2; lo is the container's own).
#pragma once

#include <sys/types.h>

#include "util/fd.hpp"

namespace skiff::net {

struct TapRequest {
    pid_t pid = 0;          // a process in the target namespaces
    bool join_userns = false; // rootless: enter its user namespace too
    int mtu = 65520;
};

// Forks a child that joins the namespaces, opens /dev/net/tun, creates and
// configures tap0 and sends its fd back over SCM_RIGHTS. Must be called
// from a single-threaded process (setns into a user namespace requires it).
// Throws Error; EACCES on /dev/net/tun gets an explanation.
UniqueFd create_tap(const TapRequest& req);

} // namespace skiff::net
