// `skiff port`: the published ports of a container, from its record.
#pragma once

#include <string>
#include <vector>

#include "config/paths.hpp"

namespace skiff::engine {

// Lines as podman port prints them: "80/tcp -> 127.0.0.1:8080" for every
// binding, or, with filter ("80" or "80/udp"), only "127.0.0.1:8080" lines
// of that port; a filter that matches nothing is an error (125).
std::vector<std::string> container_ports(const Paths& paths, const std::string& container, const std::string& filter);

} // namespace skiff::engine
