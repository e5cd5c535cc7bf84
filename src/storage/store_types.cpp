#include "storage/store_types.hpp"

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace skiff::storage {

using nlohmann::json;

namespace {

template <typename T>
T field(const json& j, const char* key, T fallback = T{}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        throw Error(std::string("field '") + key + "' has the wrong type");
    }
}

} // namespace

json to_json_value(const LayerMeta& m) {
    return json{
        {"chain_id", m.chain_id},
        {"parent_chain_id", m.parent_chain_id},
        {"diff_id", m.diff_id},
        {"compressed_digest", m.compressed_digest},
        {"compressed_size", m.compressed_size},
        {"size", m.size},
        {"chown_failures", m.chown_failures},
    };
}

LayerMeta layer_meta_from_json(const json& j) {
    if (!j.is_object()) throw Error("layer metadata is not a JSON object");
    LayerMeta m;
    m.chain_id = field<std::string>(j, "chain_id");
    m.parent_chain_id = field<std::string>(j, "parent_chain_id");
    m.diff_id = field<std::string>(j, "diff_id");
    m.compressed_digest = field<std::string>(j, "compressed_digest");
    m.compressed_size = field<uint64_t>(j, "compressed_size");
    m.size = field<uint64_t>(j, "size");
    m.chown_failures = field<uint64_t>(j, "chown_failures");
    if (m.chain_id.empty() || m.diff_id.empty()) throw Error("layer metadata lacks chain_id or diff_id");
    return m;
}

json to_json_value(const ImageRecord& r) {
    return json{
        {"id", r.id},
        {"manifest_digest", r.manifest_digest},
        {"manifest_media_type", r.manifest_media_type},
        {"index_digest", r.index_digest},
        {"repo_tags", r.repo_tags},
        {"repo_digests", r.repo_digests},
        {"layers", r.layers},
        {"diff_ids", r.diff_ids},
        {"size", r.size},
        {"created", r.created},
        {"pulled_at", r.pulled_at},
        {"os", r.os},
        {"architecture", r.architecture},
        {"extra_blobs", r.extra_blobs},
    };
}

ImageRecord image_record_from_json(const json& j) {
    if (!j.is_object()) throw Error("image record is not a JSON object");
    ImageRecord r;
    r.id = field<std::string>(j, "id");
    r.manifest_digest = field<std::string>(j, "manifest_digest");
    r.manifest_media_type = field<std::string>(j, "manifest_media_type");
    r.index_digest = field<std::string>(j, "index_digest");
    r.repo_tags = field<std::vector<std::string>>(j, "repo_tags");
    r.repo_digests = field<std::vector<std::string>>(j, "repo_digests");
    r.layers = field<std::vector<std::string>>(j, "layers");
    r.diff_ids = field<std::vector<std::string>>(j, "diff_ids");
    r.size = field<uint64_t>(j, "size");
    r.created = field<std::string>(j, "created");
    r.pulled_at = field<int64_t>(j, "pulled_at");
    r.os = field<std::string>(j, "os");
    r.architecture = field<std::string>(j, "architecture");
    r.extra_blobs = field<std::vector<std::string>>(j, "extra_blobs");
    if (r.id.empty()) throw Error("image record lacks an id");
    return r;
}

} // namespace skiff::storage
