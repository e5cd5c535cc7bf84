// `skiff top`: the processes of a running container, read from /proc (the
// ones in its pid namespace), in ps's default columns.
#pragma once

#include <string>

#include "config/paths.hpp"

namespace skiff::engine {

// "USER PID PPID ... COMMAND" table; PIDs as seen inside the container.
std::string container_top(const Paths& paths, const std::string& name_or_id);

} // namespace skiff::engine
