// `skiff create`, and the first half of `skiff run`: every option checked,
// the image found (pulled per policy), the user resolved, and the container
// record and its writable layer written. Nothing runs yet.
#pragma once

#include "config/config.hpp"
#include "config/paths.hpp"
#include "engine/container_store.hpp"
#include "engine/run.hpp"

namespace skiff::engine {

ContainerRecord create_container(const Paths& paths, const Config& config, const RunOptions& opts);

// "on-failure:3" -> {"on-failure", 3}. Throws Error for anything else than
// no, on-failure[:N], always, unless-stopped.
std::pair<std::string, int> parse_restart_policy(const std::string& s);

} // namespace skiff::engine
