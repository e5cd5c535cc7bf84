// `skiff pull` and the pull step of `run`: manifest, platform, config, and
// layers downloaded in parallel, verified while they stream, and unpacked
// into the layer store inside the user's ID mapping.
#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"
#include "config/paths.hpp"

namespace skiff::engine {

struct PullOptions {
    std::string platform;           // "os/arch[/variant]"; "" = this host
    std::optional<bool> tls_verify; // --tls-verify; nullopt = by config/loopback rule
    std::string authfile;           // --authfile
    bool quiet = false;             // -q
};

struct PullResult {
    std::string reference;       // normalised, e.g. docker.io/library/busybox:latest
    std::string image_id;        // config digest
    std::string manifest_digest;
};

// Pulls ref (as the user typed it; short names resolved by config).
PullResult pull(const Paths& paths, const Config& config, const std::string& ref, const PullOptions& opts);

} // namespace skiff::engine
