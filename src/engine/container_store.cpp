#include "engine/container_store.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"
#include "util/dir_list.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"
#include "storage/root_fs.hpp"

namespace skiff::engine {

namespace {

using nlohmann::json;

json to_json(const ContainerRecord& r) {
    return json{
        {"Id", r.id},           {"Name", r.name},        {"Image", r.image},
        {"ImageId", r.image_id}, {"Created", r.created},  {"Command", r.command},
        {"Entrypoint", r.entrypoint}, {"Cmd", r.cmd},    {"Env", r.env},
        {"WorkingDir", r.working_dir}, {"User", r.user}, {"Hostname", r.hostname},
        {"Network", r.network}, {"Tty", r.tty},         {"Interactive", r.interactive},
        {"AutoRemove", r.auto_remove}, {"ReadOnly", r.read_only}, {"Labels", r.labels},
        {"Mounts", r.mounts}, {"Driver", r.driver},
        {"HostConfig",
         {{"Tmpfs", r.host.tmpfs},
          {"CapAdd", r.host.cap_add},
          {"CapDrop", r.host.cap_drop},
          {"SecurityOpt", r.host.security_opt},
          {"Privileged", r.host.privileged},
          {"Init", r.host.init},
          {"ReadOnlyTmpfs", r.host.read_only_tmpfs},
          {"UsernsMode", r.host.userns},
          {"RestartPolicy", r.host.restart_policy},
          {"RestartMax", r.host.restart_max},
          {"StopSignal", r.host.stop_signal},
          {"StopTimeout", r.host.stop_timeout},
          {"Uid", r.host.uid},
          {"Gid", r.host.gid},
          {"AdditionalGids", r.host.additional_gids},
          {"Publish", r.host.publish},
          {"PublishAll", r.host.publish_all},
          {"ExposedPorts", r.host.exposed_ports},
          {"Dns", r.host.dns},
          {"DnsSearch", r.host.dns_search},
          {"DnsOptions", r.host.dns_option},
          {"ExtraHosts", r.host.add_host}}},
        {"Ports", r.ports},
        {"State",
         {{"Status", r.state.status},
          {"Pid", r.state.pid},
          {"PidStart", r.state.pid_start},
          {"ExitCode", r.state.exit_code},
          {"StartedAt", r.state.started_at},
          {"FinishedAt", r.state.finished_at},
          {"MonitorPid", r.state.monitor_pid},
          {"MonitorStart", r.state.monitor_start},
          {"BootId", r.state.boot_id},
          {"RestartCount", r.state.restart_count},
          {"Error", r.state.error}}},
    };
}

ContainerRecord from_json(const json& j) {
    ContainerRecord r;
    r.id = j.at("Id").get<std::string>();
    r.name = j.at("Name").get<std::string>();
    r.image = j.value("Image", "");
    r.image_id = j.value("ImageId", "");
    r.created = j.value("Created", "");
    r.command = j.value("Command", std::vector<std::string>{});
    r.entrypoint = j.value("Entrypoint", std::vector<std::string>{});
    r.cmd = j.value("Cmd", std::vector<std::string>{});
    r.env = j.value("Env", std::vector<std::string>{});
    r.working_dir = j.value("WorkingDir", "");
    r.user = j.value("User", "");
    r.hostname = j.value("Hostname", "");
    r.network = j.value("Network", "");
    r.tty = j.value("Tty", false);
    r.interactive = j.value("Interactive", false);
    r.auto_remove = j.value("AutoRemove", false);
    r.read_only = j.value("ReadOnly", false);
    r.labels = j.value("Labels", std::map<std::string, std::string>{});
    r.mounts = j.value("Mounts", std::vector<std::string>{});
    r.driver = j.value("Driver", "");
    if (j.contains("HostConfig")) {
        const json& h = j["HostConfig"];
        r.host.tmpfs = h.value("Tmpfs", std::vector<std::string>{});
        r.host.cap_add = h.value("CapAdd", std::vector<std::string>{});
        r.host.cap_drop = h.value("CapDrop", std::vector<std::string>{});
        r.host.security_opt = h.value("SecurityOpt", std::vector<std::string>{});
        r.host.privileged = h.value("Privileged", false);
        r.host.init = h.value("Init", false);
        r.host.read_only_tmpfs = h.value("ReadOnlyTmpfs", true);
        r.host.userns = h.value("UsernsMode", "");
        r.host.restart_policy = h.value("RestartPolicy", "no");
        r.host.restart_max = h.value("RestartMax", 0);
        r.host.stop_signal = h.value("StopSignal", "");
        r.host.stop_timeout = h.value("StopTimeout", 10);
        r.host.uid = h.value("Uid", 0u);
        r.host.gid = h.value("Gid", 0u);
        r.host.additional_gids = h.value("AdditionalGids", std::vector<uint32_t>{});
        using strings = std::vector<std::string>;
        r.host.publish = h.value("Publish", strings{});
        r.host.publish_all = h.value("PublishAll", false);
        r.host.exposed_ports = h.value("ExposedPorts", strings{});
        r.host.dns = h.value("Dns", strings{});
        r.host.dns_search = h.value("DnsSearch", strings{});
        r.host.dns_option = h.value("DnsOptions", strings{});
        r.host.add_host = h.value("ExtraHosts", strings{});
    }
    r.ports = j.value("Ports", std::vector<std::string>{});
    if (j.contains("State")) {
        const json& s = j["State"];
        r.state.status = s.value("Status", "created");
        r.state.pid = s.value("Pid", 0);
        r.state.pid_start = s.value("PidStart", uint64_t{0});
        r.state.exit_code = s.value("ExitCode", 0);
        r.state.started_at = s.value("StartedAt", "");
        r.state.finished_at = s.value("FinishedAt", "");
        r.state.monitor_pid = s.value("MonitorPid", 0);
        r.state.monitor_start = s.value("MonitorStart", uint64_t{0});
        r.state.boot_id = s.value("BootId", "");
        r.state.restart_count = s.value("RestartCount", 0);
        r.state.error = s.value("Error", "");
    }
    return r;
}

bool is_hex(const std::string& s) { return s.find_first_not_of("0123456789abcdef") == std::string::npos; }

} // namespace

std::string now_rfc3339() {
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - secs).count();
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:09d}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ns);
}

std::string random_hex_id() {
    unsigned char b[32];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("getrandom");
        got += static_cast<size_t>(n);
    }
    std::string s;
    for (unsigned char c : b) s += fmt::format("{:02x}", c);
    return s;
}

std::string generate_name() {
    static const char* const adjectives[] = {"brave", "calm", "eager", "fancy", "gentle", "happy", "jolly",
                                             "keen", "lucid", "merry", "nimble", "proud", "quiet", "sharp",
                                             "swift", "tender", "vivid", "witty", "zealous", "bold"};
    static const char* const nouns[] = {"albatross", "beaver", "cormorant", "dolphin", "egret", "falcon",
                                        "gannet", "heron", "ibis", "jackdaw", "kestrel", "lapwing", "marlin",
                                        "narwhal", "osprey", "puffin", "quail", "raven", "skua", "tern"};
    unsigned char r[2];
    if (::getrandom(r, sizeof r, 0) != sizeof r) r[0] = r[1] = 0;
    return fmt::format("{}_{}", adjectives[r[0] % std::size(adjectives)], nouns[r[1] % std::size(nouns)]);
}

void require_valid_container_name(const std::string& name) {
    bool ok = !name.empty() && std::isalnum(static_cast<unsigned char>(name[0])) && name.size() <= 253;
    for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!ok)
        throw Error(fmt::format("invalid container name \"{}\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name));
}

ContainerStore::ContainerStore(std::string root)
    : root_(std::move(root)), containers_(root_ + "/containers"), names_(containers_ + "/names") {}

// names/NAME holds the id of the container called NAME: names are unique
// and found without reading every record. Stores from before the index get
// it built on their next create (under the lock); until then lookups scan.
std::optional<std::string> ContainerStore::name_holder(const std::string& name) const {
    std::optional<std::string> id;
    try {
        id = read_file_if_present(names_ + "/" + name, 128);
    } catch (const Error&) {
        return std::nullopt;
    }
    if (id && id->size() == 64 && is_hex(*id) && ::access(dir(*id).c_str(), F_OK) == 0) return id;
    return std::nullopt;
}

void ContainerStore::claim_name(const std::string& name, const std::string& id) {
    // A stale entry (its container is gone) is replaced.
    replace_file(names_ + "/" + name, id, 0600);
}

void ContainerStore::release_name(const std::string& name, const std::string& id) {
    if (name.empty()) return;
    if (auto holder = name_holder(name); holder && *holder != id) return;
    ::unlink((names_ + "/" + name).c_str());
}

void ContainerStore::ensure_index() {
    struct stat st {};
    if (::stat(names_.c_str(), &st) == 0) return;
    std::string tmp = names_ + ".tmp";
    storage::remove_tree(tmp);
    make_dirs(tmp, 0700);
    for (const auto& c : list()) replace_file(tmp + "/" + c.name, c.id, 0600);
    if (::rename(tmp.c_str(), names_.c_str()) < 0) throw_errno("creating " + names_);
}

ContainerRecord ContainerStore::create(ContainerRecord rec) {
    make_dirs(containers_, 0700);
    FileLock lock(lock_path());
    ensure_index();
    if (rec.name.empty()) {
        for (int i = 0; i < 100 && (rec.name.empty() || name_holder(rec.name)); ++i) rec.name = generate_name();
        if (name_holder(rec.name)) rec.name += "_" + random_hex_id().substr(0, 6);
    } else {
        require_valid_container_name(rec.name);
        if (auto holder = name_holder(rec.name))
            throw Error(fmt::format("the container name \"{}\" is already in use by {}. You have to remove (or "
                                    "rename) that container to be able to reuse that name",
                                    rec.name, *holder));
    }
    if (rec.id.empty()) rec.id = random_hex_id();
    rec.created = now_rfc3339();
    std::string d = dir(rec.id);
    if (::mkdir(d.c_str(), 0700) < 0) throw_errno("creating " + d);
    replace_file(d + "/container.json", to_json(rec).dump(2), 0600);
    claim_name(rec.name, rec.id);
    return rec;
}

void ContainerStore::rename(ContainerRecord& rec, const std::string& new_name) {
    require_valid_container_name(new_name);
    ensure_index();
    if (auto holder = name_holder(new_name); holder && *holder != rec.id)
        throw Error(fmt::format("the container name \"{}\" is already in use by {}. You have to remove (or rename) "
                                "that container to be able to reuse that name",
                                new_name, *holder));
    std::string old = rec.name;
    rec.name = new_name;
    save(rec);
    claim_name(new_name, rec.id);
    release_name(old, rec.id);
}

std::optional<ContainerRecord> ContainerStore::load(const std::string& id) const {
    try {
        return from_json(json::parse(read_file(dir(id) + "/container.json", 1 << 20)));
    } catch (const std::exception&) {
        return std::nullopt; // half-created or being removed
    }
}

void ContainerStore::save(const ContainerRecord& rec) {
    replace_file(dir(rec.id) + "/container.json", to_json(rec).dump(2), 0600);
}

std::vector<ContainerRecord> ContainerStore::list() const {
    std::vector<ContainerRecord> out;
    std::vector<std::string> ids;
    for (const std::string& n : list_dir(containers_))
        if (n.size() == 64 && is_hex(n)) ids.push_back(n);
    for (const auto& id : ids) {
        try {
            out.push_back(from_json(json::parse(read_file(dir(id) + "/container.json", 1 << 20))));
        } catch (const std::exception&) {
            // Half-created (a crash between mkdir and the first write) or being
            // removed: not a container yet / any more.
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created > b.created; });
    return out;
}

std::optional<ContainerRecord> ContainerStore::find(const std::string& key) const {
    if (key.empty()) return std::nullopt;
    struct stat st {};
    if (::stat(names_.c_str(), &st) < 0) {
        // No index yet (a store from before it): scan the records.
        auto all = list();
        for (const auto& c : all)
            if (c.id == key || c.name == key) return c;
        const ContainerRecord* match = nullptr;
        if (is_hex(key))
            for (const auto& c : all)
                if (c.id.rfind(key, 0) == 0) {
                    if (match != nullptr)
                        throw Error(fmt::format("more than one container matches the ID prefix '{}'", key));
                    match = &c;
                }
        if (match != nullptr) return *match;
        return std::nullopt;
    }
    if (key.size() == 64 && is_hex(key))
        if (auto r = load(key)) return r;
    if (key.find('/') == std::string::npos && key[0] != '.')
        if (auto id = name_holder(key))
            if (auto r = load(*id)) return r;
    if (!is_hex(key)) return std::nullopt;
    std::string match;
    for (const std::string& n : list_dir(containers_)) {
        if (n.size() != 64 || !is_hex(n) || n.rfind(key, 0) != 0) continue;
        if (!match.empty()) throw Error(fmt::format("more than one container matches the ID prefix '{}'", key));
        match = n;
    }
    if (match.empty()) return std::nullopt;
    return load(match);
}

ContainerRecord ContainerStore::lookup(const std::string& key) const {
    auto c = find(key);
    if (!c) throw Error(fmt::format("no container with name or ID \"{}\" found: no such container", key));
    return *c;
}

void ContainerStore::remove(const std::string& id) {
    if (id.size() != 64 || !is_hex(id)) throw Error("refusing to remove container with a malformed id " + id);
    auto rec = load(id);
    storage::remove_tree(dir(id));
    if (rec) release_name(rec->name, id);
}

} // namespace skiff::engine
