// `skiff diff`: what a container changed in its writable layer, as docker
// shows it: A (added), C (changed), D (deleted; overlay whiteouts), one
// line per path, sorted. Needs the overlay driver (the upper directory).
#pragma once

#include <string>
#include <vector>

#include "config/paths.hpp"

namespace skiff::engine {

struct Change {
    char kind = 'A'; // A, C or D
    std::string path; // absolute in the container
};

std::vector<Change> container_changes(const Paths& paths, const std::string& name_or_id);

} // namespace skiff::engine
