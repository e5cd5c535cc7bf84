// pause and unpause (the cgroup freezer, runtime/freezer.hpp), and what the
// rest of the lifecycle does about it: a starting container joins its
// freezer cgroup, stop/kill/rm thaw a paused one so that their signal
// lands, and the cgroup goes when the container does.
#pragma once

#include <string>

#include "config/paths.hpp"
#include "engine/container_store.hpp"

namespace skiff::engine {

// Freezes a running container; its state becomes "paused".
void pause_container(const Paths& paths, const std::string& name_or_id);
// Thaws a paused container; its state becomes "running" again.
void unpause_container(const Paths& paths, const std::string& name_or_id);

// At start, before the container's first process is released: moves pid
// into the container's freezer cgroup where the host has one. Best effort:
// without it the container runs, and pause says why it cannot.
void join_freezer(const Paths& paths, const std::string& id, int pid);
// The cgroup.procs file an `exec` joins, or "" when there is none.
std::string freezer_procs_file(const Paths& paths, const std::string& id);
// After a signal meant to end a paused container: thaw it so that the
// signal is delivered. The record's state is left to whoever folds the exit.
void thaw_for_signal(const Paths& paths, const ContainerRecord& rec);
// Once the container has exited: its cgroup goes.
void remove_freezer(const Paths& paths, const std::string& id) noexcept;

} // namespace skiff::engine
