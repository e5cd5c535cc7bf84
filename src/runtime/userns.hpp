// Entering the user's ID mapping: a child process in a new user namespace
// where container 0 is the invoking user and 1..N are its subordinate IDs.
// Pull uses it so that layer files get the image's owners rootless; run will
// build its container on the same mechanism.
#pragma once

#include <functional>
#include <sys/types.h>
#include <string>
#include <vector>

#include "runtime/idmap.hpp"

namespace skiff::runtime {

struct UserNamespaceMaps {
    std::vector<IdMapping> uid;
    std::vector<IdMapping> gid;
    // No subordinate range (or no usable newuidmap/newgidmap): only the user
    // itself is mapped, as container 0; chown to other IDs fails.
    bool single_id = false;
    std::string single_id_reason; // why, for the warning
    std::string newuidmap, newgidmap; // the helpers found, for ranges
};

// The rootless mapping of the current user from /etc/subuid and /etc/subgid.
UserNamespaceMaps rootless_maps();

// Installs maps on process pid, which has just entered a new user namespace:
// newuidmap/newgidmap for subordinate ranges, or a direct write of the
// single-ID map (allowed to the namespace's owner).
void install_id_maps(pid_t pid, const UserNamespaceMaps& maps);

// Runs fn in a forked child inside a new user namespace with maps installed,
// as container root (uid 0, gid 0, full capabilities in that namespace).
// The caller must not have other threads running (fork). If fn throws, its
// Error (message and exit code) is carried back and rethrown here; if the
// child dies otherwise, an Error says how.
void run_in_user_namespace(const UserNamespaceMaps& maps, const std::function<void()>& fn);

// Runs fn inside the user's ID mapping when rootless, or directly as root.
void run_as_container_root(bool rootless, const std::function<void()>& fn);

// The same, but always in a forked child (as root too), so that fn may
// change the process's namespaces (unshare a mount namespace) freely.
void run_in_helper(bool rootless, const std::function<void()>& fn);

} // namespace skiff::runtime
