#include "engine/process_config.hpp"

#include "util/fd.hpp"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "util/error.hpp"

namespace skiff::engine {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (;;) {
        size_t p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
        if (p == std::string_view::npos) return out;
        start = p + 1;
    }
}

std::optional<uint32_t> to_id(std::string_view s) {
    uint32_t v = 0;
    if (s.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string_view key_of(std::string_view kv) { return kv.substr(0, kv.find('=')); }

void set_env(std::vector<std::string>& env, const std::string& kv) {
    auto k = key_of(kv);
    for (auto& e : env)
        if (key_of(e) == k) {
            e = kv;
            return;
        }
    env.push_back(kv);
}

bool has_key(const std::vector<std::string>& env, std::string_view k) {
    for (const auto& e : env)
        if (key_of(e) == k) return true;
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

} // namespace

std::vector<std::string> build_command(const std::vector<std::string>& image_entrypoint,
                                       const std::vector<std::string>& image_cmd,
                                       const std::optional<std::string>& entrypoint_override,
                                       const std::vector<std::string>& args) {
    std::vector<std::string> entry = image_entrypoint;
    std::vector<std::string> cmd = image_cmd;
    if (entrypoint_override) {
        // As docker: --entrypoint replaces ENTRYPOINT and clears the image's CMD.
        entry.clear();
        cmd.clear();
        if (!entrypoint_override->empty()) entry.push_back(*entrypoint_override);
    }
    if (!args.empty()) cmd = args;
    std::vector<std::string> out = entry;
    out.insert(out.end(), cmd.begin(), cmd.end());
    return out;
}

std::optional<std::string> host_env(const std::string& key) {
    const char* v = std::getenv(key.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
}

std::vector<std::string> parse_env_file(std::string_view text, const std::string& source, EnvLookup lookup) {
    std::vector<std::string> out;
    int lineno = 0;
    for (std::string_view line : split(text, '\n')) {
        ++lineno;
        std::string_view l = trim(line);
        if (l.empty() || l.front() == '#') continue;
        auto eq = l.find('=');
        std::string_view key = trim(l.substr(0, eq));
        if (key.empty() || key.find_first_of(" \t") != std::string_view::npos)
            throw Error(fmt::format("{}:{}: invalid environment variable '{}'", source, lineno, l));
        if (eq != std::string_view::npos) {
            out.push_back(fmt::format("{}={}", key, l.substr(eq + 1)));
        } else if (auto v = lookup(std::string(key))) {
            out.push_back(fmt::format("{}={}", key, *v));
        }
    }
    return out;
}

std::vector<std::string> merge_env(const std::vector<std::string>& image_env, const std::vector<std::string>& extra,
                                   const std::string& hostname, bool tty) {
    std::vector<std::string> env;
    for (const auto& e : image_env) set_env(env, e);
    if (!has_key(env, "PATH")) set_env(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (tty && !has_key(env, "TERM")) set_env(env, "TERM=xterm");
    set_env(env, "container=skiff");
    if (!hostname.empty()) set_env(env, "HOSTNAME=" + hostname);
    for (const auto& e : extra) set_env(env, e);
    return env;
}

ResolvedUser resolve_user(const std::string& user, std::string_view passwd, std::string_view group) {
    ResolvedUser r;
    std::string_view spec = user;
    std::string_view uname = spec.substr(0, spec.find(':'));
    std::optional<std::string_view> gname;
    if (auto c = spec.find(':'); c != std::string_view::npos) gname = spec.substr(c + 1);
    if (uname.empty() && !gname) return r;

    std::string found_name;
    bool found = false;
    auto uid_num = to_id(uname);
    for (std::string_view line : split(passwd, '\n')) {
        auto f = split(line, ':');
        if (f.size() < 7) continue;
        auto puid = to_id(f[2]);
        auto pgid = to_id(f[3]);
        if (!puid || !pgid) continue;
        if ((uid_num && *puid == *uid_num) || (!uid_num && f[0] == uname)) {
            r.uid = *puid;
            r.gid = *pgid;
            r.home = std::string(f[5]);
            found_name = std::string(f[0]);
            found = true;
            break;
        }
    }
    if (!found) {
        if (!uid_num && !uname.empty())
            throw Error(fmt::format("unable to find user {}: no matching entries in passwd file", uname));
        r.uid = uid_num.value_or(0);
        r.gid = 0;
    }
    if (gname) {
        auto gid_num = to_id(*gname);
        bool gfound = false;
        for (std::string_view line : split(group, '\n')) {
            auto f = split(line, ':');
            if (f.size() < 3) continue;
            auto g = to_id(f[2]);
            if (!g) continue;
            if ((gid_num && *g == *gid_num) || (!gid_num && f[0] == *gname)) {
                r.gid = *g;
                gfound = true;
                break;
            }
        }
        if (!gfound) {
            if (!gid_num) throw Error(fmt::format("unable to find group {}: no matching entries in group file", *gname));
            r.gid = *gid_num;
        }
    }
    // Supplementary groups: those that list the user by name (docker's rule),
    // without the primary group again.
    if (!found_name.empty()) {
        for (std::string_view line : split(group, '\n')) {
            auto f = split(line, ':');
            if (f.size() < 4) continue;
            auto g = to_id(f[2]);
            if (!g || *g == r.gid) continue;
            for (std::string_view m : split(f[3], ','))
                if (trim(m) == found_name) r.additional_gids.push_back(*g);
        }
    }
    return r;
}

std::vector<std::string> user_env(const std::vector<std::string>& env_files, const std::vector<std::string>& env) {
    std::vector<std::string> extra;
    for (const auto& f : env_files) {
        auto lines = parse_env_file(read_file(f, 4 << 20), f, &host_env);
        extra.insert(extra.end(), lines.begin(), lines.end());
    }
    for (const auto& e : env) {
        if (e.find('=') != std::string::npos) extra.push_back(e);
        else if (auto v = host_env(e)) extra.push_back(e + "=" + *v);
    }
    return extra;
}

} // namespace skiff::engine
