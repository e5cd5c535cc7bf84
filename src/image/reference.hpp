// Image references, normalised the way Docker does it:
//   busybox                  -> docker.io/library/busybox:latest
//   user/app                 -> docker.io/user/app:latest
//   host:5000/ns/app:tag     -> host:5000/ns/app:tag
//   localhost/app            -> localhost/app:latest
//   app@sha256:<64 hex>      -> docker.io/library/app@sha256:... (no tag)
//   app:tag@sha256:<64 hex>  -> both kept; the digest wins when pulling
// The first path component names a registry only when it contains '.' or
// ':' or is "localhost"; otherwise the default registry is used.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace skiff {

inline constexpr std::string_view kDockerHub = "docker.io";

struct Reference {
    std::string registry;   // "docker.io", "localhost:5000", "[::1]:5000"
    std::string repository; // "library/busybox"
    std::string tag;        // "latest"; empty when only a digest was given
    std::string digest;     // "sha256:..."; empty unless given

    // Throws Error: "invalid reference 'X': repository name must be lowercase".
    // default_registry is used when the input names none.
    static Reference parse(std::string_view input, std::string_view default_registry = kDockerHub);

    // registry/repository[:tag][@digest]
    std::string str() const;
    // registry/repository
    std::string name() const;
    // What docker prints: "busybox:latest", "user/app:1", "quay.io/x/y:2".
    std::string familiar() const;
    // familiar() without tag and digest: "busybox", "quay.io/x/y".
    std::string familiar_name() const;
    // The digest if there is one, else the tag: what to ask the registry for.
    const std::string& tag_or_digest() const { return digest.empty() ? tag : digest; }

    friend bool operator==(const Reference&, const Reference&) = default;
};

// True when input names its registry (its first component contains '.' or
// ':' or is "localhost"). Short names go through aliases and
// unqualified-search registries instead.
bool is_fully_qualified(std::string_view input);

// The alias for a short name (tag/digest stripped before the lookup and
// carried over to the result). nullopt when input is qualified or has no
// alias. Throws Error if the alias target is not a fully qualified reference.
std::optional<Reference> resolve_alias(std::string_view input, const RegistryConfig& cfg);

// Every reference a pull of input should try, in order: the input itself when
// fully qualified; else its alias; else one per unqualified-search registry.
// Throws Error when input is invalid or no registry is configured.
std::vector<Reference> resolve_candidates(std::string_view input, const RegistryConfig& cfg);

// Syntax checks used by the parser, exposed for other code (tagging).
bool is_valid_tag(std::string_view tag);
bool is_valid_registry_host(std::string_view host);

} // namespace skiff
