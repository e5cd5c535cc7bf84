// `attach`, `start -a`: the client side of the monitor's attach socket. The
// container's output is copied to ours, our stdin to it; with a terminal,
// ours goes raw and its size follows ours. The detach keys (ctrl-p ctrl-q
// by default) leave the container running.
#pragma once

#include <string>
#include <vector>

#include "config/paths.hpp"

namespace skiff::engine {

inline constexpr const char* kDefaultDetachKeys = "ctrl-p,ctrl-q";

struct AttachOptions {
    bool stdin_open = true;
    std::string detach_keys = kDefaultDetachKeys;
};

// "ctrl-p,ctrl-q" -> {0x10, 0x11}; "" -> none. Throws Error for a bad key.
std::string parse_detach_keys(const std::string& spec);

// Attaches to a running container. Returns its exit code when it exits
// while attached, 0 on detach.
int attach_container(const Paths& paths, const std::string& name_or_id, const AttachOptions& opts);

// Starts the container and attaches before it runs (no output is missed).
int start_attached(const Paths& paths, const std::string& name_or_id, const AttachOptions& opts);

} // namespace skiff::engine
