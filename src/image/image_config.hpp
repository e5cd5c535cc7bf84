// The image configuration blob: what the image runs (entrypoint, cmd, env,
// user, workdir, ports, volumes, labels, stop signal), for which platform,
// and the uncompressed digests of its layers (rootfs.diff_ids).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "image/digest.hpp"
#include "image/platform.hpp"

namespace skiff {

struct ImageManifest;

struct HistoryEntry {
    std::string created;
    std::string created_by;
    std::string author;
    std::string comment;
    bool empty_layer = false;
};

struct ContainerConfig {
    std::vector<std::string> env;          // "KEY=value"
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    std::string working_dir;
    std::string user;
    std::vector<std::string> exposed_ports; // "80/tcp"
    std::vector<std::string> volumes;       // "/data"
    std::map<std::string, std::string> labels;
    std::string stop_signal;
};

struct ImageConfig {
    std::string created; // RFC 3339, as written by the builder
    std::string author;
    std::string architecture;
    std::string os;
    std::string variant;
    ContainerConfig config;
    std::vector<Digest> diff_ids;
    std::vector<HistoryEntry> history;

    // Refuses more than kMaxManifestBytes. Throws Error naming the bad field.
    static ImageConfig parse(std::string_view bytes);

    Platform platform() const { return Platform{os, architecture, variant, {}}; }
};

// Throws Error when the manifest's layer count and the config's diff_ids
// disagree: such an image cannot be unpacked correctly.
void check_layers_match(const ImageManifest& m, const ImageConfig& c);

} // namespace skiff
