// The local image commands' logic: list, inspect, tag, remove, prune and
// history. Everything returns data; the CLI formats it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "config/paths.hpp"
#include "storage/store.hpp"

namespace skiff::engine {

// The store with this user's layer remover (inside the ID mapping when
// rootless) and the layers of images that containers use kept safe.
storage::Store open_image_store(const Paths& paths);

// An image by ID prefix, reference (short names through config, then as a
// localhost/ name, as podman tags unqualified names), or repo digest.
std::optional<storage::ImageRecord> lookup_image(const storage::Store& store, const Config& config,
                                                 const std::string& input);

struct ImageListOptions {
    std::vector<std::string> filters; // reference=GLOB, dangling=true|false
};
// Records sorted newest first; a reference filter keeps only matching tags.
std::vector<storage::ImageRecord> list_images(const Paths& paths, const ImageListOptions& opts);

// Docker-compatible `inspect` object of an image; nullopt when not found.
std::optional<nlohmann::ordered_json> inspect_image(const Paths& paths, const Config& config,
                                                    const std::string& input);

// Normalises a tag target: unqualified names go to localhost/, as podman.
std::string normalize_tag_target(const std::string& target);
// Adds each target as a tag of source's image. Throws Error when source is
// not known locally or a target is invalid.
void tag_image(const Paths& paths, const Config& config, const std::string& source,
               const std::vector<std::string>& targets);

struct RmiResult {
    std::vector<std::string> untagged; // references
    std::vector<std::string> deleted;  // image IDs (full, "sha256:" stripped)
};
// `skiff rmi NAME`: when NAME is one tag of an image with several, only the
// tag goes; else the image. Refuses an image a container uses unless force
// (the container's layers stay). Throws Error (125) on failure.
RmiResult remove_image(const Paths& paths, const Config& config, const std::string& input, bool force);

struct ImagePruneResult {
    std::vector<std::string> images_removed; // image IDs
    storage::PruneReport store;
};
// Removes untagged images (all=true: every image) that no container uses,
// then orphaned temp files and unreferenced layers and blobs.
ImagePruneResult prune_images(const Paths& paths, bool all);

struct HistoryRow {
    std::string id;         // image ID for the top row, "<missing>" below
    std::string created;    // RFC 3339
    std::string created_by;
    uint64_t size = 0;
    std::string comment;
};
// Newest first, from the config's history and the layers' sizes.
std::vector<HistoryRow> image_history(const Paths& paths, const Config& config, const std::string& input);

} // namespace skiff::engine
