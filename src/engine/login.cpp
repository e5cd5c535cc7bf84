#include "engine/login.hpp"

#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "registry/auth_file.hpp"
#include "registry/client.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::engine {

std::string login_key(const std::string& registry) {
    std::string r = registry;
    for (const char* scheme : {"https://", "http://"})
        if (r.rfind(scheme, 0) == 0) r = r.substr(std::string_view(scheme).size());
    while (!r.empty() && r.back() == '/') r.pop_back();
    if (r.empty()) throw Error("missing registry name");
    return normalize_auth_key(r);
}

std::string login(const Config& config, const std::string& registry, const LoginOptions& opts) {
    std::string key = login_key(registry);
    std::string host = key.substr(0, key.find('/'));
    if (opts.username.empty()) throw Error("a user name is required: use --username");
    if (opts.password.empty()) throw Error("a password is required: use --password or --password-stdin");
    Credentials creds{opts.username, opts.password};
    ClientOptions co;
    co.tls_verify = opts.tls_verify;
    co.authfile = opts.authfile;
    co.credentials = creds;
    co.config = config.registries;
    check_login(host, creds, co);
    std::string path = auth_file_write_path(opts.authfile);
    with_context(fmt::format("storing credentials in {}", path), [&] { store_credentials(path, key, creds); });
    return path;
}

std::optional<std::string> stored_login(const std::string& registry, const std::string& authfile) {
    if (auto c = lookup_credentials(login_key(registry), authfile)) return c->username;
    return std::nullopt;
}

void logout(const std::string& registry, const std::string& authfile) {
    std::string key = login_key(registry);
    std::string path = auth_file_write_path(authfile);
    if (!erase_credentials(path, key)) throw Error(fmt::format("not logged into {}", key));
}

void logout_all(const std::string& authfile) {
    std::string path = auth_file_write_path(authfile);
    std::string text;
    try {
        text = read_file(path, 4u << 20);
    } catch (const Error& e) {
        if (e.error_number() == ENOENT) return;
        throw;
    }
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw Error(fmt::format("{}: not a valid auth file", path));
    j["auths"] = nlohmann::json::object();
    replace_file(path, j.dump(1, '\t') + "\n", 0600);
}

} // namespace skiff::engine
