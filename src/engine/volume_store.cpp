#include "engine/volume_store.hpp"

#include <cerrno>
#include <sys/stat.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/container_store.hpp"
#include "storage/root_fs.hpp"
#include "util/atomic_file.hpp"
#include "util/dir_list.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"

namespace skiff::engine {

namespace {

using nlohmann::json;

json to_json(const VolumeRecord& v) {
    return json{{"Name", v.name},           {"Driver", v.driver},   {"CreatedAt", v.created_at},
                {"Labels", v.labels},       {"Options", v.options}, {"Anonymous", v.anonymous}};
}

VolumeRecord from_json(const json& j, const std::string& data_dir) {
    VolumeRecord v;
    v.name = j.at("Name").get<std::string>();
    v.driver = j.value("Driver", "local");
    v.created_at = j.value("CreatedAt", "");
    v.labels = j.value("Labels", std::map<std::string, std::string>{});
    v.options = j.value("Options", std::map<std::string, std::string>{});
    v.anonymous = j.value("Anonymous", false);
    v.mountpoint = data_dir;
    return v;
}

} // namespace

bool valid_volume_name(const std::string& name) {
    if (name.empty() || name.size() > 255) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    if (!alnum(name[0])) return false;
    for (char c : name)
        if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
    return true;
}

VolumeStore::VolumeStore(std::string root) : root_(std::move(root)), volumes_(root_ + "/volumes") {}

VolumeRecord VolumeStore::create(VolumeRecord rec, bool ignore_existing) {
    if (rec.name.empty()) {
        rec.name = random_hex_id();
        rec.anonymous = true;
    }
    if (!valid_volume_name(rec.name))
        throw Error(fmt::format("invalid volume name '{}': use letters, digits, '_', '.' and '-', starting with a "
                                "letter or digit",
                                rec.name));
    make_dirs(volumes_, 0700);
    FileLock lock(lock_path());
    if (auto existing = find(rec.name)) {
        if (ignore_existing) return *existing;
        throw Error(fmt::format("volume {} already exists", rec.name));
    }
    std::string d = dir(rec.name);
    // A directory without volume.json is a leftover of a crash: start over.
    storage::remove_tree(d);
    if (::mkdir(d.c_str(), 0700) < 0) throw_errno("creating volume directory " + d);
    std::string data = data_dir(rec.name);
    // 0755 whatever the umask: container users other than root read it.
    if (::mkdir(data.c_str(), 0755) < 0 || ::chmod(data.c_str(), 0755) < 0) throw_errno("creating " + data);
    rec.created_at = now_rfc3339();
    rec.mountpoint = data;
    atomic_write_file(d + "/volume.json", to_json(rec).dump(2) + "\n", 0600);
    return rec;
}

std::optional<VolumeRecord> VolumeStore::find(const std::string& name) const {
    if (!valid_volume_name(name)) return std::nullopt;
    std::string text;
    try {
        text = read_file(dir(name) + "/volume.json", 1 << 20);
    } catch (const Error& e) {
        if (e.error_number() == ENOENT || e.error_number() == ENOTDIR) return std::nullopt;
        throw;
    }
    try {
        return from_json(json::parse(text), data_dir(name));
    } catch (const json::exception& e) {
        throw Error(fmt::format("volume {}: corrupt volume.json: {}", name, e.what()));
    }
}

VolumeRecord VolumeStore::lookup(const std::string& name) const {
    if (auto v = find(name)) return *v;
    throw Error(fmt::format("no such volume: {}", name));
}

std::vector<VolumeRecord> VolumeStore::list() const {
    std::vector<VolumeRecord> out;
    for (const auto& name : list_dir(volumes_))
        if (auto v = find(name)) out.push_back(*v);
    return out;
}

void VolumeStore::remove(const std::string& name) {
    if (!valid_volume_name(name)) throw Error(fmt::format("no such volume: {}", name));
    // volume.json goes first: a half-removed volume is no longer listed.
    std::string meta = dir(name) + "/volume.json";
    if (::unlink(meta.c_str()) < 0 && errno != ENOENT) throw_errno("removing " + meta);
    storage::remove_tree(dir(name));
}

} // namespace skiff::engine
