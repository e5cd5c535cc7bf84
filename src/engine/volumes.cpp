#include "engine/volumes.hpp"

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include <fmt/format.h>

#include "engine/container_store.hpp"
#include "runtime/userns.hpp"
#include "util/error.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"

namespace skiff::engine {

namespace {

// The volume a recorded mount ("SRC:DST[:OPTS]") uses, or "" for a bind.
std::string volume_of(const std::string& mount) {
    std::string src = mount.substr(0, mount.find(':'));
    if (src.empty() || src[0] == '/' || !valid_volume_name(src)) return "";
    return src;
}

// Which container (its name) uses each volume.
std::map<std::string, std::string> users_of_volumes(const Paths& paths) {
    std::map<std::string, std::string> users;
    for (const auto& c : ContainerStore(paths.root).list())
        for (const auto& m : c.mounts)
            if (auto v = volume_of(m); !v.empty()) users.emplace(v, c.name);
    return users;
}

std::map<std::string, std::string> parse_key_values(const std::vector<std::string>& items) {
    std::map<std::string, std::string> out;
    for (const auto& l : items) {
        auto eq = l.find('=');
        out[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
    }
    return out;
}

using Filters = std::map<std::string, std::vector<std::string>>;

Filters parse_filters(const std::vector<std::string>& filters) {
    Filters out;
    for (const auto& f : filters) {
        auto eq = f.find('=');
        if (eq == std::string::npos)
            throw Error(fmt::format("invalid filter '{}': expected KEY=VALUE", f));
        std::string k = f.substr(0, eq), v = f.substr(eq + 1);
        if (k != "name" && k != "label" && k != "dangling")
            throw Error(fmt::format("invalid filter '{}': supported are name=, label= and dangling=", f));
        if (k == "dangling" && v != "true" && v != "false" && v != "1" && v != "0")
            throw Error(fmt::format("invalid filter '{}': dangling takes true or false", f));
        out[k].push_back(v);
    }
    return out;
}

bool matches(const VolumeRecord& v, const Filters& filters, const std::map<std::string, std::string>& users) {
    for (const auto& [key, values] : filters) {
        bool any = std::any_of(values.begin(), values.end(), [&](const std::string& val) {
            if (key == "name") return v.name.find(val) != std::string::npos;
            if (key == "label") {
                auto eq = val.find('=');
                auto it = v.labels.find(val.substr(0, eq));
                return it != v.labels.end() && (eq == std::string::npos || it->second == val.substr(eq + 1));
            }
            bool dangling = val == "true" || val == "1";
            return dangling == (users.count(v.name) == 0);
        });
        if (!any) return false;
    }
    return true;
}

// Removes one volume; rootless, files that a container made as another
// user belong to subordinate IDs and are removed inside the ID mapping.
void remove_one(const Paths& paths, VolumeStore& store, const std::string& name) {
    try {
        store.remove(name);
        return;
    } catch (const Error&) {
        // A directory of another ID fails in several ways (EACCES, then
        // ENOTDIR on the retry as a directory): retry all of it mapped.
        if (!paths.rootless) throw;
    }
    runtime::run_as_container_root(true, [&] { store.remove(name); });
}

} // namespace

VolumeRecord create_volume(const Paths& paths, const VolumeCreateOptions& o) {
    paths.ensure();
    VolumeRecord rec;
    rec.name = o.name;
    rec.labels = parse_key_values(o.labels);
    // The local driver's options (type, device, o) mount a file system at
    // first use, which needs privileges skiff does not have rootless.
    for (const auto& opt : o.options)
        throw Error(fmt::format("volume option '{}' is not supported: skiff volumes are plain directories", opt));
    return VolumeStore(paths.root).create(rec);
}

std::vector<VolumeRecord> list_volumes(const Paths& paths, const std::vector<std::string>& filters) {
    Filters f = parse_filters(filters);
    std::map<std::string, std::string> users;
    if (f.count("dangling")) users = users_of_volumes(paths);
    std::vector<VolumeRecord> out;
    for (auto& v : VolumeStore(paths.root).list())
        if (matches(v, f, users)) out.push_back(std::move(v));
    return out;
}

std::vector<std::string> volumes_in_use(const Paths& paths) {
    std::vector<std::string> out;
    for (const auto& [v, c] : users_of_volumes(paths)) out.push_back(v);
    return out;
}

std::vector<std::string> remove_volumes(const Paths& paths, const std::vector<std::string>& names, bool force) {
    VolumeStore store(paths.root);
    FileLock lock(store.lock_path());
    auto users = users_of_volumes(paths);
    for (const auto& n : names) {
        store.lookup(n);
        if (auto it = users.find(n); it != users.end() && !force)
            throw Error(fmt::format("volume {} is being used by container {}: remove the container first, or use -f",
                                    n, it->second));
    }
    std::vector<std::string> removed;
    for (const auto& n : names) {
        with_context("removing volume " + n, [&] { remove_one(paths, store, n); });
        removed.push_back(n);
    }
    return removed;
}

std::vector<std::string> prune_volumes(const Paths& paths, const std::vector<std::string>& filters) {
    Filters f = parse_filters(filters);
    if (f.count("dangling")) throw Error("volume prune: the dangling filter makes no sense here: only unused volumes are pruned");
    VolumeStore store(paths.root);
    FileLock lock(store.lock_path());
    auto users = users_of_volumes(paths);
    std::vector<std::string> removed;
    for (const auto& v : store.list()) {
        if (users.count(v.name) || !matches(v, f, users)) continue;
        with_context("removing volume " + v.name, [&] { remove_one(paths, store, v.name); });
        removed.push_back(v.name);
    }
    return removed;
}

void remove_anonymous_volumes(const Paths& paths, const std::vector<std::string>& mounts) {
    VolumeStore store(paths.root);
    std::set<std::string> names;
    for (const auto& m : mounts)
        if (auto v = volume_of(m); !v.empty()) names.insert(v);
    if (names.empty()) return;
    FileLock lock(store.lock_path());
    auto users = users_of_volumes(paths);
    for (const auto& n : names) {
        try {
            auto v = store.find(n);
            if (!v || !v->anonymous || users.count(n)) continue;
            remove_one(paths, store, n);
        } catch (const Error& e) {
            log::warn("removing anonymous volume {}: {}", n.substr(0, 12), e.what());
        }
    }
}

} // namespace skiff::engine
