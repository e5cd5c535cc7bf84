// A container as `inspect` shows it: the Docker/podman JSON users script
// against (State, Config, HostConfig, Mounts, NetworkSettings), and the
// short forms `ps` prints.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "config/paths.hpp"
#include "engine/container_store.hpp"

namespace skiff::engine {

nlohmann::ordered_json inspect_container(const Paths& paths, const ContainerRecord& rec);

// Bytes in the container's writable layer (its upper dir or vfs copy).
uint64_t container_size(const Paths& paths, const ContainerRecord& rec);

} // namespace skiff::engine
