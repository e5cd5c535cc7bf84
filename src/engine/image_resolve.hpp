// From what the user typed to a local image: an ID prefix, or a reference
// normalised and tried against the store (short names through aliases and
// the unqualified-search registries), pulling per the pull policy.
#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"
#include "config/paths.hpp"
#include "engine/pull.hpp"
#include "storage/store.hpp"

namespace skiff::engine {

// The local image for input, if any (no network).
std::optional<storage::ImageRecord> find_local_image(const storage::Store& store, const Config& config,
                                                     const std::string& input);

// missing | always | never | newer. "newer" pulls and keeps the local image
// when the registry cannot be reached.
storage::ImageRecord resolve_image(const Paths& paths, const Config& config, const std::string& input,
                                   const std::string& policy, const PullOptions& opts);

// Reads a small file (/etc/passwd) of an image: from the top-most layer that
// has it, following whiteouts. "" when absent.
std::string read_image_file(const storage::Store& store, const storage::ImageRecord& image, const std::string& rel);

} // namespace skiff::engine
