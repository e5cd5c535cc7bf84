// Starting a created (or exited) container under its own monitor, which
// outlives the skiff that started it: `start`, `run -d`, `restart`, and the
// roles the monitor calls back: `__start` and `__cleanup` (see
// monitor/protocol.hpp for who does what).
#pragma once

#include <functional>
#include <string>

#include "config/config.hpp"
#include "config/paths.hpp"
#include "engine/container_store.hpp"

namespace skiff::engine {

struct StartRequest {
    // Called once the monitor listens and before the container starts, so
    // an attaching client misses none of its output (start -a, run -it).
    std::function<void()> before_start;
    // With a terminal: its initial size (the attaching user's), so the
    // command starts with it rather than learning it after a resize.
    unsigned rows = 0, cols = 0;
    // When set (and before_start is not), the first run's starter is
    // forked from this process instead of exec'd by the monitor: one exec
    // of skiff fewer. Ignored if this process has other threads.
    const Config* config = nullptr;
};

// Starts rec under a new monitor. Returns 0 once the command runs, or the
// exit code of the failed start (its error already printed on stderr).
// A running container is left alone (returns 0).
int start_container(const Paths& paths, const ContainerRecord& rec, const StartRequest& req = {});

// The `__start ID` role, run by the monitor: build the container from its
// record, start it with the monitor's fds, record it as running.
int start_for_monitor(const Paths& paths, const Config& config, const std::string& id, bool restarted,
                      unsigned rows = 0, unsigned cols = 0);

// The `__cleanup ID` role: fold the exit into the record; --rm.
int cleanup_after_monitor(const Paths& paths, const std::string& id);

// The monitor program: next to the skiff binary (a build tree), else the
// installed libexec path.
std::string monitor_path();

} // namespace skiff::engine
