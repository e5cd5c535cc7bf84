// What acts on existing containers: stop, kill, rm, wait, rename, prune.
// Each takes the containers lock only for reading and writing records; the
// waits for processes happen outside it, so a monitor finishing up (its
// `__cleanup` needs the lock) is never blocked by the command waiting for it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "engine/container_store.hpp"

namespace skiff::engine {

// The stop signal (or SIGTERM), then SIGKILL after timeout seconds
// (nullopt: the container's --stop-timeout). No restart follows.
void stop_container(const Paths& paths, const std::string& name_or_id, std::optional<int> timeout);

// Sends sig to the container's first process. Not running: Error.
void kill_container(const Paths& paths, const std::string& name_or_id, int sig);

// A running container needs force (killed first). volumes: its anonymous
// volumes go too (rm -v).
void remove_container(const Paths& paths, const std::string& name_or_id, bool force, bool volumes);

// Blocks until the container is not running; its exit code.
int wait_container(const Paths& paths, const std::string& name_or_id);

void rename_container(const Paths& paths, const std::string& name_or_id, const std::string& new_name);

// Removes every container that is not running; returns their ids.
std::vector<std::string> prune_containers(const Paths& paths);

} // namespace skiff::engine
