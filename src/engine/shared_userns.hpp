// One user namespace for the rootless containers that have the same ID maps,
// as podman's and rootless docker's containers all share one.
//
// Creating a user namespace with subordinate ranges costs two setuid execs
// (newuidmap, newgidmap): the largest part of a rootless start. A container
// started while another one with the same maps runs joins that one's user
// namespace instead; each still gets its own mount, pid, ipc, uts, cgroup
// and network namespaces, so neither can see or signal the other's
// processes nor reach its files. The runroot's `userns` file names the
// last container that created one ("PID START_TIME"); a joiner checks that
// the process is still that one and that its maps are exactly the wanted
// ones, so a stale or foreign entry only means a namespace of its own.
#pragma once

#include <sys/types.h>

#include "config/paths.hpp"
#include "runtime/userns.hpp"
#include "util/fd.hpp"

namespace skiff::engine {

// The user namespace of the recorded container, when it runs and has
// exactly these maps; an empty fd otherwise (and for single-ID maps,
// which cost no exec).
UniqueFd open_shared_userns(const Paths& paths, const runtime::UserNamespaceMaps& maps);

// pid's new user namespace (maps installed) is the one to share from now on.
void record_userns_holder(const Paths& paths, pid_t pid);

} // namespace skiff::engine
