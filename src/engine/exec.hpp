// `skiff exec`: a command in a running container, as its other processes
// run: its namespaces, user, environment, capabilities and seccomp filter.
#pragma once

#include <string>
#include <vector>

#include "config/paths.hpp"

namespace skiff::engine {

struct ExecOptions {
    std::vector<std::string> args;
    std::vector<std::string> env;       // KEY=VAL or KEY (the host's)
    std::vector<std::string> env_files;
    std::string workdir;
    std::string user;
    bool interactive = false;
    bool tty = false;
    bool detach = false;
    bool privileged = false;
};

// Its exit code (126/127 when it cannot be run), 0 once started with detach.
int exec_in_container(const Paths& paths, const std::string& name_or_id, const ExecOptions& opts);

} // namespace skiff::engine
