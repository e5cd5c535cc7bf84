#include "registry/auth_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "config/paths.hpp"
#include "image/json_fields.hpp"
#include "registry/base64.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff {

using nlohmann::json;

namespace {

constexpr size_t kMaxAuthFile = 4u << 20;

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string config_home() {
    std::string x = env("XDG_CONFIG_HOME");
    return x.empty() ? home_dir() + "/.config" : x;
}

// nullopt when the file does not exist.
std::optional<json> load(const std::string& path) {
    std::string text;
    try {
        text = read_file(path, kMaxAuthFile);
    } catch (const Error& e) {
        if (e.error_number() == ENOENT || e.error_number() == ENOTDIR) return std::nullopt;
        throw;
    }
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
    json j = parse_json(text, path);
    if (!j.is_object()) throw Error(path + ": expected a JSON object");
    return j;
}

// "docker.io/library/busybox" -> {that, "docker.io/library", "docker.io"}
std::vector<std::string> key_candidates(std::string_view key) {
    std::vector<std::string> out;
    std::string k = normalize_auth_key(key);
    for (;;) {
        out.push_back(k);
        size_t slash = k.rfind('/');
        if (slash == std::string::npos) break;
        k.resize(slash);
    }
    return out;
}

std::optional<Credentials> decode_entry(const json& entry, const std::string& path, const std::string& key) {
    return with_context(path + ": entry '" + key + "'", [&]() -> std::optional<Credentials> {
        std::string auth = json_string(entry, "auth");
        if (auth.empty()) {
            if (!json_string(entry, "identitytoken").empty())
                throw Error("identity tokens are not supported; log in again with skiff login");
            return std::nullopt;
        }
        auto decoded = base64_decode(auth);
        if (!decoded) throw Error("'auth' is not valid base64");
        size_t colon = decoded->find(':');
        if (colon == std::string::npos) throw Error("'auth' does not decode to user:password");
        return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
    });
}

// The credentials for one of candidates (most specific first) in one file.
std::optional<Credentials> lookup_in(const json& j, const std::string& path, const std::vector<std::string>& candidates) {
    auto helpers = json_string_map(j, "credHelpers");
    std::string store = json_string(j, "credsStore");
    json auths = j.contains("auths") && j["auths"].is_object() ? j["auths"] : json::object();
    for (const auto& want : candidates) {
        for (const auto& [k, helper] : helpers) {
            if (normalize_auth_key(k) == want)
                throw Error(path + ": credential helper '" + helper + "' is configured for " + want +
                            "; credential helpers are not supported by skiff (use skiff login or --creds)");
        }
        for (auto it = auths.begin(); it != auths.end(); ++it) {
            if (normalize_auth_key(it.key()) != want) continue;
            auto c = decode_entry(it.value(), path, it.key());
            if (c) return c;
            if (!store.empty())
                throw Error(path + ": the credentials for " + want + " are kept by the credential store '" + store +
                            "', which skiff does not support (use skiff login or --creds)");
        }
    }
    return std::nullopt;
}

} // namespace

std::vector<std::string> auth_file_search_paths(const std::string& explicit_path) {
    std::vector<std::string> paths;
    std::string first = explicit_path.empty() ? env("REGISTRY_AUTH_FILE") : explicit_path;
    if (!first.empty()) {
        paths.push_back(first);
    } else {
        paths.push_back(auth_file_write_path());
        paths.push_back(config_home() + "/containers/auth.json");
    }
    paths.push_back(home_dir() + "/.docker/config.json");
    return paths;
}

std::string auth_file_write_path(const std::string& explicit_path) {
    if (!explicit_path.empty()) return explicit_path;
    if (std::string e = env("REGISTRY_AUTH_FILE"); !e.empty()) return e;
    if (::geteuid() == 0) return "/run/containers/0/auth.json";
    if (std::string r = env("XDG_RUNTIME_DIR"); !r.empty()) return r + "/containers/auth.json";
    return config_home() + "/containers/auth.json";
}

std::string normalize_auth_key(std::string_view key) {
    std::string k(key);
    bool had_scheme = false;
    for (std::string_view scheme : {"https://", "http://"}) {
        if (k.starts_with(scheme)) {
            k.erase(0, scheme.size());
            had_scheme = true;
        }
    }
    // With a scheme the path is an API path ("/v1/"), not a namespace.
    if (had_scheme) k = k.substr(0, k.find('/'));
    while (!k.empty() && k.back() == '/') k.pop_back();
    std::string host = k.substr(0, k.find('/'));
    std::string rest = k.substr(host.size());
    if (host == "index.docker.io" || host == "registry-1.docker.io") host = "docker.io";
    return host + rest;
}

std::optional<Credentials> lookup_credentials(std::string_view key, const std::vector<std::string>& paths) {
    std::vector<std::string> candidates = key_candidates(key);
    for (const auto& path : paths) {
        auto j = load(path);
        if (!j) continue;
        if (auto c = lookup_in(*j, path, candidates)) return c;
    }
    return std::nullopt;
}

void store_credentials(const std::string& path, std::string_view key, const Credentials& c) {
    with_context("storing credentials in " + path, [&] {
        json j = load(path).value_or(json::object());
        if (!j.contains("auths") || !j["auths"].is_object()) j["auths"] = json::object();
        std::string k = normalize_auth_key(key);
        // Drop other spellings of the same key so that one entry remains.
        for (auto it = j["auths"].begin(); it != j["auths"].end();) {
            if (it.key() != k && normalize_auth_key(it.key()) == k)
                it = j["auths"].erase(it);
            else
                ++it;
        }
        j["auths"][k] = json{{"auth", base64_encode(c.username + ":" + c.password)}};
        if (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0)
            make_dirs(path.substr(0, slash), 0700);
        atomic_write_file(path, j.dump(1, '\t') + "\n", 0600);
    });
}

bool erase_credentials(const std::string& path, std::string_view key) {
    return with_context("removing credentials from " + path, [&] {
        auto j = load(path);
        if (!j || !j->contains("auths") || !(*j)["auths"].is_object()) return false;
        std::string k = normalize_auth_key(key);
        bool found = false;
        json& auths = (*j)["auths"];
        for (auto it = auths.begin(); it != auths.end();) {
            if (normalize_auth_key(it.key()) == k) {
                it = auths.erase(it);
                found = true;
            } else {
                ++it;
            }
        }
        if (found) atomic_write_file(path, j->dump(1, '\t') + "\n", 0600);
        return found;
    });
}

} // namespace skiff
