// The flows behind `skiff volume`: create, list with filters, rm (refused
// while a container uses the volume), prune; and which containers use
// which volumes (their records' mounts).
#pragma once

#include <string>
#include <vector>

#include "config/paths.hpp"
#include "engine/volume_store.hpp"

namespace skiff::engine {

struct VolumeCreateOptions {
    std::string name; // "" -> a random name
    std::vector<std::string> labels; // KEY[=VAL]
    std::vector<std::string> options; // --opt KEY=VAL
};
VolumeRecord create_volume(const Paths& paths, const VolumeCreateOptions& o);

// Filters: name=SUBSTRING, label=KEY or label=KEY=VAL, dangling=true|false
// (true: used by no container). Several values of one key: any may match;
// different keys: all must.
std::vector<VolumeRecord> list_volumes(const Paths& paths, const std::vector<std::string>& filters);

// The names of the volumes the container records use (their mounts).
std::vector<std::string> volumes_in_use(const Paths& paths);

// Removes each volume; without force a volume used by a container record
// fails naming that container. Returns the names removed.
std::vector<std::string> remove_volumes(const Paths& paths, const std::vector<std::string>& names, bool force);

// Removes every volume no container uses; returns their names.
std::vector<std::string> prune_volumes(const Paths& paths, const std::vector<std::string>& filters);

// Removes a container's anonymous volumes (run --rm; later rm -v); named
// ones stay. Problems are warnings: the container is gone either way.
void remove_anonymous_volumes(const Paths& paths, const std::vector<std::string>& mounts);

} // namespace skiff::engine
