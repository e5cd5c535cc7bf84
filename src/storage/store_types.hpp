// The records the image store keeps, and their JSON form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace skiff::storage {

// layers/<chain-hex>/layer.json, beside the unpacked diff/.
struct LayerMeta {
    std::string chain_id;          // "sha256:..."
    std::string parent_chain_id;   // empty for a base layer
    std::string diff_id;           // digest of the uncompressed tar
    std::string compressed_digest; // the blob it was unpacked from (may be empty)
    uint64_t compressed_size = 0;
    uint64_t size = 0;             // bytes of file content unpacked
    uint64_t chown_failures = 0;   // ids that were not mapped at unpack time
};

// images/<config-hex>.json. The image ID is the config digest.
struct ImageRecord {
    std::string id;                     // "sha256:<config hex>"
    std::string manifest_digest;
    std::string manifest_media_type;
    std::string index_digest;           // the index the manifest came from, if any
    std::vector<std::string> repo_tags; // "docker.io/library/debian:12"
    std::vector<std::string> repo_digests; // "docker.io/library/debian@sha256:..."
    std::vector<std::string> layers;    // chain IDs, base first
    std::vector<std::string> diff_ids;  // same order
    uint64_t size = 0;                  // unpacked bytes of all layers
    std::string created;                // from the config, RFC 3339
    int64_t pulled_at = 0;              // unix seconds
    std::string os;
    std::string architecture;
    // Further blobs this image keeps alive in blobs/ besides its manifest,
    // config and its layers' compressed blobs (e.g. the index).
    std::vector<std::string> extra_blobs;
};

nlohmann::json to_json_value(const LayerMeta& m);
LayerMeta layer_meta_from_json(const nlohmann::json& j);   // throws Error
nlohmann::json to_json_value(const ImageRecord& r);
ImageRecord image_record_from_json(const nlohmann::json& j); // throws Error

} // namespace skiff::storage
