// Starting a container and staying as its monitor in the foreground: the
// parent side of runtime/container_child.cpp.
#pragma once

#include <functional>

#include "runtime/container_spec.hpp"
#include "util/fd.hpp"

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
int run_container(ContainerSpec spec, const LaunchCallbacks& cb = {});

struct StartedContainer {
    int pid = -1;
    UniqueFd pty; // the terminal's master side, with process.terminal
};

// For a detached container: starts it as run_container does, and returns as
// soon as the command runs. The caller neither waits for nor signals it; the
// container outlives the caller and is reaped by the monitor (a subreaper
// above the caller). spec.die_with_parent should be false.
StartedContainer start_container(const ContainerSpec& spec, const LaunchCallbacks& cb = {});

// `exec`: a new process in a running container, joining its namespaces,
// with the container's capabilities, seccomp filter and no_new_privs.
struct ExecSpec {
    int pid = -1;             // the container's first process
    bool join_userns = false; // rootless: the container has its own
    bool set_groups = true;   // false under a single-ID map
    ProcessSpec process;
    SecuritySpec security;
    bool detach = false; // -d: return once it runs
    std::string cgroup_procs; // the container's freezer cgroup.procs, joined first ("" for none)
};
// Returns its exit code (0 once started with detach).
int exec_process(const ExecSpec& spec);

} // namespace skiff::runtime
