// The truth about a container's state without a daemon: the record says
// "running", but the monitor may have written the exit code since, or died
// (kill -9, a reboot). Every command that shows or acts on state refreshes
// it first, under the containers lock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "engine/container_store.hpp"

namespace skiff::engine {

// Start time of a process (clock ticks since boot, /proc/PID/stat field 22);
// 0 when it does not exist.
uint64_t process_start_time(int pid);
bool process_alive(int pid, uint64_t start);
std::string current_boot_id();

// Folds the monitor's exit file into the record, or marks a container whose
// monitor is gone as exited (killing what is left of it). Saves when it
// changed anything. The caller holds the containers lock. `final`: the
// monitor is done (its __cleanup), no restart follows whatever it said.
void refresh_state(ContainerStore& store, ContainerRecord& rec, bool final = false);

// lookup()/list() followed by refresh_state, under the lock.
ContainerRecord lookup_fresh(ContainerStore& store, const std::string& name_or_id);
std::vector<ContainerRecord> list_fresh(ContainerStore& store);

bool is_running(const ContainerRecord& rec);

} // namespace skiff::engine
