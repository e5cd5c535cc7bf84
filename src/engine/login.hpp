// `skiff login` and `skiff logout`: prove credentials against a registry and
// keep them in (or remove them from) the Docker-compatible auth file.
#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"

namespace skiff::engine {

struct LoginOptions {
    std::string authfile;           // --authfile; "" = the default write path
    std::optional<bool> tls_verify; // --tls-verify
    std::string username;
    std::string password;
};

// "https://quay.io/v1/" -> "quay.io"; keeps "host/namespace" keys.
std::string login_key(const std::string& registry);

// Checks the credentials with the registry, then stores them. Throws Error
// ("authentication failed for HOST: ...") and stores nothing on failure.
// Returns the auth file written.
std::string login(const Config& config, const std::string& registry, const LoginOptions& opts);

// The user name stored for registry, if any (`login --get-login`).
std::optional<std::string> stored_login(const std::string& registry, const std::string& authfile);

// Removes registry's credentials from the auth file; throws Error when
// there were none ("not logged into HOST").
void logout(const std::string& registry, const std::string& authfile);
// Removes every credential from the auth file (the file itself stays).
void logout_all(const std::string& authfile);

} // namespace skiff::engine
