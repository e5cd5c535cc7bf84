// Platforms as registries name them (GOOS/GOARCH[/variant]), the host's own,
// and the matching rules used to pick an image out of a multi-arch index.
// Matching follows containerd: os and architecture must be equal; arm64
// without a variant means v8, arm without a variant means v7; a host of
// variant N also runs lower variants (arm v7 runs v6 and v5; amd64 v3 runs v2
// and v1), preferring the exact variant, then the highest lower one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff {

struct Platform {
    std::string os;           // "linux"
    std::string architecture; // "amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"
    std::string variant;      // "v8", "v7", ... or empty
    std::string os_version;   // windows only; kept for display

    // "linux/arm64", "linux/arm/v7", "arm64" (OS linux); aliases such as
    // x86_64 and aarch64 are accepted. Throws Error on a malformed string.
    static Platform parse(std::string_view s);
    // The machine we run on (uname), in Go naming, normalised.
    static Platform host();

    // Canonical form: lowercase, Go names, default variants filled in.
    Platform normalized() const;
    // "os/arch[/variant]"
    std::string str() const;

    // How well this (desired) platform accepts candidate: nullopt when it
    // cannot run it; a higher score is a better match.
    std::optional<int> match_score(const Platform& candidate) const;
    bool matches(const Platform& candidate) const { return match_score(candidate).has_value(); }

    friend bool operator==(const Platform&, const Platform&) = default;
};

} // namespace skiff
