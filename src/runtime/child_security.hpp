// Capabilities, no_new_privs and the seccomp program, prepared in the parent
// for the container child (runtime/container_child.cpp applies them with
// raw syscalls, in that order, just before execve).
#pragma once

#include "runtime/capabilities.hpp"
#include "runtime/container_spec.hpp"
#include "runtime/seccomp_profile.hpp"

namespace skiff::runtime {

struct ChildSecurity {
    PreparedCaps caps;
    bool no_new_privs = false;
    PreparedSeccomp seccomp; // empty program: unconfined
};

// non_root_user: the command runs as a uid other than 0 (podman gives it an
// empty effective set and keeps the bounding set).
ChildSecurity prepare_child_security(const SecuritySpec& spec, bool non_root_user);

} // namespace skiff::runtime
