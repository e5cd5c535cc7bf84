// Errors a registry reports: the HTTP status and the JSON error body of the
// distribution spec ({"errors":[{"code":"MANIFEST_UNKNOWN","message":...}]}),
// turned into one message ("manifest unknown") and a kind the pull logic can
// act on (try the next registry on not_found, say "skiff login" on denied).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "registry/http.hpp"
#include "util/error.hpp"

namespace skiff {

enum class RegistryErrorKind { not_found, unauthorized, denied, rate_limited, other };

class RegistryError : public Error {
public:
    RegistryError(std::string message, RegistryErrorKind kind, long status)
        : Error(std::move(message)), kind_(kind), status_(status) {}
    RegistryErrorKind kind() const noexcept { return kind_; }
    long http_status() const noexcept { return status_; }

private:
    RegistryErrorKind kind_;
    long status_;
};

struct RegistryErrorEntry {
    std::string code;    // "MANIFEST_UNKNOWN"
    std::string message; // "manifest unknown"
};

// The entries of an error body; empty when it is not one. Never throws.
std::vector<RegistryErrorEntry> parse_registry_errors(std::string_view body);

struct ErrorContext {
    std::string host;        // registry host, for "authentication failed for HOST"
    std::string what;        // "manifest 1", "blob sha256:...", for "... not found"
    std::string repository;  // for access-denied messages
    bool had_credentials = false;
};

// The error for a non-2xx response.
RegistryError registry_error(const HttpResponse& resp, const ErrorContext& ctx);

} // namespace skiff
