// Fetching the layers of one image into the store: every missing layer is
// downloaded and unpacked at the same time (the download is hashed and
// written to the blob store while a second thread unpacks the same bytes
// from a pipe), several layers in parallel, and committed base first once
// its digests check out.
#pragma once

#include <string>
#include <vector>

#include "engine/pull_progress.hpp"
#include "image/digest.hpp"
#include "image/manifest.hpp"
#include "registry/client.hpp"
#include "storage/store.hpp"

namespace skiff::engine {

struct LayerJob {
    Descriptor blob;      // compressed, from the manifest
    std::string diff_id;  // from the config
    std::string chain_id;
    std::string parent_chain_id;
};

struct FetchOptions {
    bool rootless = false; // overlay opaque xattrs in the user.* namespace
    size_t parallel = 4;
};

// Fetches jobs (base first; layers already in the store are skipped).
// Throws the first error; nothing half-done is left under a final name.
void fetch_layers(const storage::Store& store, RegistryClient& client, const std::vector<LayerJob>& jobs,
                  const FetchOptions& opts, PullProgress& progress);

} // namespace skiff::engine
