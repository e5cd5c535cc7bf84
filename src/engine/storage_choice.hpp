// The storage driver `run` uses: the same choice `skiff info` reports, with
// the native-overlay probe cached in the runroot (it is volatile, so a
// reboot or kernel change probes again) to keep `run` cheap.
#pragma once

#include "config/config.hpp"
#include "config/paths.hpp"
#include "engine/host_info.hpp"

#include <optional>
#include <string>

namespace skiff::engine {

struct CachedOverlay {
    bool ok = false;
    std::string detail;
};
// The cached probe ($runroot/overlay-probe.json), if there is one: what
// `run` goes by, so `skiff info` reports the same choice.
std::optional<CachedOverlay> cached_overlay_probe(const Paths& paths);

StorageChoice storage_choice_for_run(const Paths& paths, const Config& config);

} // namespace skiff::engine
