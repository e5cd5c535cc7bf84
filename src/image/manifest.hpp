// Manifests as registries serve them: OCI image indexes and Docker manifest
// lists (one entry per platform), OCI image manifests and Docker schema 2
// manifests (a config blob and a list of layers). Schema 1 is refused.
// Every parser refuses documents larger than kMaxManifestBytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/digest.hpp"
#include "image/platform.hpp"

namespace skiff {

inline constexpr size_t kMaxManifestBytes = 4u << 20; // manifests and configs

namespace media_type {
inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view oci_layer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view oci_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view oci_layer_nondist = "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view oci_layer_nondist_gzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view oci_layer_nondist_zstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

inline constexpr std::string_view docker_manifest_list = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_layer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view docker_layer_gzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view docker_layer_foreign = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
inline constexpr std::string_view docker_schema1 = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view docker_schema1_signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
} // namespace media_type

// The Accept list for manifest requests: indexes first, then image manifests.
std::vector<std::string> default_manifest_accept();

enum class ManifestKind { index, image };

// The media type of a manifest document: its "mediaType" field, else the
// Content-Type the registry sent, else guessed from its shape. Throws Error
// for schema 1 ("manifest schema 1 is not supported") and unknown types.
std::string detect_manifest_media_type(std::string_view bytes, std::string_view content_type);
// index for OCI indexes and Docker lists; image for OCI/Docker manifests.
// Throws Error for anything else.
ManifestKind manifest_kind(std::string_view media_type);

struct Descriptor {
    std::string media_type;
    Digest digest;
    int64_t size = 0;
    std::vector<std::string> urls;                  // foreign layers only
    std::map<std::string, std::string> annotations;
    std::optional<Platform> platform;               // index entries
};

struct Index {
    std::string media_type;
    std::vector<Descriptor> manifests;

    static Index parse(std::string_view bytes, std::string_view media_type);

    // The best entry for want (see platform.hpp for the rules). Throws Error
    // listing the available platforms when none matches.
    const Descriptor& select(const Platform& want) const;
    // "linux/amd64, linux/arm64/v8": the runnable platforms, for messages.
    std::string available_platforms() const;
};

enum class Compression { none, gzip, zstd };

struct LayerType {
    Compression compression = Compression::none;
    bool foreign = false; // non-distributable: may be fetched from urls, not pushed
};

// Throws Error ("unsupported layer media type X") for unknown types.
LayerType classify_layer(std::string_view media_type);
const char* compression_name(Compression c);

struct ImageManifest {
    std::string media_type;
    Descriptor config;
    std::vector<Descriptor> layers;
    std::map<std::string, std::string> annotations;

    // Checks config and layer media types: an artifact that is not a
    // container image is refused with its config media type in the message.
    static ImageManifest parse(std::string_view bytes, std::string_view media_type);
};

} // namespace skiff
