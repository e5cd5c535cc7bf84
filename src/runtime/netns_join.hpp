// --network container:X: the monitor enters the network namespace of a
// running container (and, rootless, its user namespace, which owns that
// network namespace) before it clones the new container, which then shares
// both: the pod model, where the two see each other on localhost.
#pragma once

#include <sys/types.h>

namespace skiff::runtime {

// setns into /proc/PID/ns/user (when userns) and /proc/PID/ns/net. Must be
// called from a single-threaded process. Throws Error.
void join_network_of(pid_t pid, bool userns);

} // namespace skiff::runtime
