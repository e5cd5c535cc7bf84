// Starting a container and staying as its monitor in the foreground: the
// parent side of runtime/container_child.cpp.
#pragma once

#include <functional>

#include "runtime/container_spec.hpp"

namespace skiff::runtime {

struct LaunchCallbacks {
    // Called once the command is running (after execve), with its host pid.
    std::function<void(int pid)> started;
    // Called once the child's namespaces and ID maps exist and before it is
    // released to set itself up (the network helper starts here). Throwing
    // kills the child and fails the start.
    std::function<void(int pid)> namespaces_ready;
};

// Creates the namespaces, runs the child's setup, and then forwards signals
// and (with a terminal) copies bytes until the container's first process
// exits. Returns its exit code (128+N for a signal). A failure before the
// command runs throws Error with exit code 125, or 126/127 when the command
// cannot be executed or found.
int run_container(const ContainerSpec& spec, const LaunchCallbacks& cb = {});

} // namespace skiff::runtime
