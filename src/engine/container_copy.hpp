// `skiff cp`: files and directories between the host and a container,
// running or stopped. Paths in the container are resolved inside its root
// (openat2 RESOLVE_IN_ROOT): no symlink, absolute or "../..", leads out of
// it, and nothing from the container is ever run. A symlink is copied as a
// link. The copy happens inside the container's ID mapping, so -a keeps
// owners as the container sees them; without -a the copies belong to
// root of the container (into it) or to the invoking user (out of it).
#pragma once

#include <string>

#include "config/paths.hpp"

namespace skiff::engine {

struct CopyRequest {
    std::string src; // CONTAINER:PATH or a host path
    std::string dst;
    bool archive = false; // -a: keep owners
};

// One side is CONTAINER:PATH, the other a host path. "PATH/." copies the
// contents of a directory. Throws Error (exit 125) with the reason.
void copy_files(const Paths& paths, const CopyRequest& req);

} // namespace skiff::engine
