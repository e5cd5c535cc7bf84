// Docker-compatible credential files:
//   {"auths": {"quay.io": {"auth": base64("user:pass")}, ...}}
// Read, in order: the explicit file (--authfile) or $REGISTRY_AUTH_FILE;
// otherwise podman's $XDG_RUNTIME_DIR/containers/auth.json (root:
// /run/containers/0/auth.json) and $XDG_CONFIG_HOME/containers/auth.json;
// then, in every case, docker's ~/.docker/config.json. Written: the explicit
// file, else $REGISTRY_AUTH_FILE, else the runtime auth.json.
//
// Keys may be "host", "host/namespace/repo" (the most specific match wins),
// or docker's URL forms ("https://index.docker.io/v1/"); docker.io,
// index.docker.io and registry-1.docker.io are one registry.
// Credential helpers (credHelpers, credsStore) are not supported: naming one
// for the host being looked up is an Error that says so.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff {

struct Credentials {
    std::string username;
    std::string password;
    friend bool operator==(const Credentials&, const Credentials&) = default;
};

std::vector<std::string> auth_file_search_paths(const std::string& explicit_path = "");
std::string auth_file_write_path(const std::string& explicit_path = "");

// "https://index.docker.io/v1/" -> "docker.io"; "quay.io/ns" stays.
std::string normalize_auth_key(std::string_view key);

// key: "host" or "host/repository". Missing files are skipped; a malformed
// file is an Error naming it.
std::optional<Credentials> lookup_credentials(std::string_view key, const std::vector<std::string>& paths);
inline std::optional<Credentials> lookup_credentials(std::string_view key, const std::string& explicit_path = "") {
    return lookup_credentials(key, auth_file_search_paths(explicit_path));
}

// Atomically rewrites path (mode 0600, parent directories created 0700),
// keeping every other entry and field.
void store_credentials(const std::string& path, std::string_view key, const Credentials& c);
// Removes key's entries; false when there were none (or no file).
bool erase_credentials(const std::string& path, std::string_view key);

} // namespace skiff
