#include "image/manifest.hpp"

#include <nlohmann/json.hpp>

#include "image/json_fields.hpp"
#include "util/error.hpp"

namespace skiff {

namespace mt = media_type;
using nlohmann::json;

namespace {

// Mirrors of the attestation entries buildx puts into indexes.
bool is_attestation(const Descriptor& d) {
    auto it = d.annotations.find("vnd.docker.reference.type");
    if (it != d.annotations.end() && it->second == "attestation-manifest") return true;
    return d.platform && d.platform->os == "unknown" && d.platform->architecture == "unknown";
}

std::optional<Platform> parse_platform(const json& j) {
    if (!j.is_object()) return std::nullopt;
    Platform p;
    p.os = json_string(j, "os");
    p.architecture = json_string(j, "architecture");
    p.variant = json_string(j, "variant");
    p.os_version = json_string(j, "os.version");
    return p;
}

Descriptor parse_descriptor(const json& j, const std::string& what) {
    return with_context(what, [&] {
        if (!j.is_object()) throw Error("expected an object");
        Descriptor d;
        d.media_type = json_string(j, "mediaType");
        std::string digest = json_string(j, "digest");
        if (digest.empty()) throw Error("missing digest");
        d.digest = Digest::parse(digest);
        if (!j.contains("size") || !j["size"].is_number_integer()) throw Error("missing or non-integer size");
        d.size = j["size"].get<int64_t>();
        if (d.size < 0) throw Error("negative size");
        d.urls = json_string_list(j, "urls");
        d.annotations = json_string_map(j, "annotations");
        if (j.contains("platform")) d.platform = parse_platform(j["platform"]);
        return d;
    });
}

json parse_document(std::string_view bytes, const char* what) {
    if (bytes.size() > kMaxManifestBytes)
        throw Error(std::string(what) + " is " + std::to_string(bytes.size()) + " bytes, more than the limit of " +
                    std::to_string(kMaxManifestBytes >> 20) + " MiB");
    json j = parse_json(bytes, what);
    if (!j.is_object()) throw Error(std::string("invalid ") + what + ": expected a JSON object");
    return j;
}

[[noreturn]] void schema1() {
    throw Error("manifest schema 1 is not supported (it was deprecated in 2017); "
                "the image must be pushed again with a current tool");
}

bool is_known_manifest_type(std::string_view t) {
    return t == mt::oci_index || t == mt::oci_manifest || t == mt::docker_manifest_list || t == mt::docker_manifest;
}

} // namespace

std::vector<std::string> default_manifest_accept() {
    return {std::string(mt::oci_index), std::string(mt::docker_manifest_list), std::string(mt::oci_manifest),
            std::string(mt::docker_manifest)};
}

std::string detect_manifest_media_type(std::string_view bytes, std::string_view content_type) {
    // Content-Type may carry parameters ("; charset=utf-8").
    std::string ct(content_type.substr(0, content_type.find(';')));
    while (!ct.empty() && ct.back() == ' ') ct.pop_back();
    if (ct == mt::docker_schema1 || ct == mt::docker_schema1_signed) schema1();

    json j = parse_document(bytes, "manifest");
    std::string field = json_string(j, "mediaType");
    if (field == mt::docker_schema1 || field == mt::docker_schema1_signed) schema1();
    if (j.contains("schemaVersion") && j["schemaVersion"] == 1) schema1();
    if (!field.empty()) {
        if (!is_known_manifest_type(field)) throw Error("unsupported manifest media type '" + field + "'");
        return field;
    }
    if (is_known_manifest_type(ct)) return ct;
    // OCI allows mediaType to be absent; guess from the shape as OCI does.
    if (j.contains("manifests")) return std::string(mt::oci_index);
    if (j.contains("config") && j.contains("layers")) return std::string(mt::oci_manifest);
    throw Error("unsupported manifest media type '" + ct + "'");
}

ManifestKind manifest_kind(std::string_view t) {
    if (t == mt::oci_index || t == mt::docker_manifest_list) return ManifestKind::index;
    if (t == mt::oci_manifest || t == mt::docker_manifest) return ManifestKind::image;
    if (t == mt::docker_schema1 || t == mt::docker_schema1_signed) schema1();
    throw Error("unsupported manifest media type '" + std::string(t) + "'");
}

Index Index::parse(std::string_view bytes, std::string_view media_type) {
    return with_context("parsing image index", [&] {
        json j = parse_document(bytes, "image index");
        Index idx;
        idx.media_type = std::string(media_type);
        if (manifest_kind(media_type) != ManifestKind::index)
            throw Error("'" + idx.media_type + "' is not an index media type");
        if (!j.contains("manifests") || !j["manifests"].is_array()) throw Error("missing 'manifests' list");
        size_t i = 0;
        for (const auto& m : j["manifests"]) {
            idx.manifests.push_back(parse_descriptor(m, "manifests[" + std::to_string(i++) + "]"));
        }
        return idx;
    });
}

const Descriptor& Index::select(const Platform& want) const {
    const Descriptor* best = nullptr;
    int best_score = -1;
    for (const auto& d : manifests) {
        if (!d.platform || is_attestation(d)) continue;
        auto score = want.match_score(*d.platform);
        if (score && *score > best_score) {
            best = &d;
            best_score = *score;
        }
    }
    if (!best) {
        std::string avail = available_platforms();
        throw Error("no image for platform " + want.normalized().str() + " in the manifest list (available: " +
                    (avail.empty() ? "none" : avail) + ")");
    }
    return *best;
}

std::string Index::available_platforms() const {
    std::string out;
    for (const auto& d : manifests) {
        if (!d.platform || is_attestation(d)) continue;
        out += (out.empty() ? "" : ", ") + d.platform->normalized().str();
    }
    return out;
}

LayerType classify_layer(std::string_view t) {
    if (t == mt::oci_layer || t == mt::docker_layer) return {Compression::none, false};
    if (t == mt::oci_layer_gzip || t == mt::docker_layer_gzip) return {Compression::gzip, false};
    if (t == mt::oci_layer_zstd) return {Compression::zstd, false};
    if (t == mt::oci_layer_nondist) return {Compression::none, true};
    if (t == mt::oci_layer_nondist_gzip || t == mt::docker_layer_foreign) return {Compression::gzip, true};
    if (t == mt::oci_layer_nondist_zstd) return {Compression::zstd, true};
    throw Error("unsupported layer media type '" + std::string(t) + "'");
}

const char* compression_name(Compression c) {
    switch (c) {
    case Compression::none: return "none";
    case Compression::gzip: return "gzip";
    case Compression::zstd: return "zstd";
    }
    return "unknown";
}

ImageManifest ImageManifest::parse(std::string_view bytes, std::string_view media_type) {
    return with_context("parsing image manifest", [&] {
        json j = parse_document(bytes, "image manifest");
        ImageManifest m;
        m.media_type = std::string(media_type);
        if (manifest_kind(media_type) != ManifestKind::image)
            throw Error("'" + m.media_type + "' is not an image manifest media type");
        if (!j.contains("config")) throw Error("missing 'config'");
        m.config = parse_descriptor(j["config"], "config");
        if (m.config.media_type != mt::oci_config && m.config.media_type != mt::docker_config)
            throw Error("not a container image: its config has media type '" + m.config.media_type + "'");
        if (!j.contains("layers") || !j["layers"].is_array()) throw Error("missing 'layers' list");
        size_t i = 0;
        for (const auto& l : j["layers"]) {
            std::string what = "layers[" + std::to_string(i++) + "]";
            Descriptor d = parse_descriptor(l, what);
            with_context(what, [&] { classify_layer(d.media_type); });
            m.layers.push_back(std::move(d));
        }
        m.annotations = json_string_map(j, "annotations");
        return m;
    });
}

} // namespace skiff
