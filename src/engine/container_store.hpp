// Container records: one directory per container under <root>/containers/ID
// holding container.json (what was asked for and its state) and the
// container's own writable layer (upper/, work/) and generated files.
// Every mutation holds the store lock; every write is atomic.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace skiff::engine {

struct ContainerState {
    std::string status = "created"; // created | running | paused | exited
    int pid = 0;
    uint64_t pid_start = 0;  // the process's start time (/proc/PID/stat), against PID reuse
    int exit_code = 0;
    std::string started_at;  // RFC 3339, empty when never started
    std::string finished_at;
    // The monitor of a detached container (0 for a foreground run), and the
    // boot it ran in: after a reboot neither pid means anything.
    int monitor_pid = 0;
    uint64_t monitor_start = 0;
    std::string boot_id;
    int restart_count = 0;
    std::string error; // why the last start failed
};

// What `start` needs, besides the process, to build the container again:
// the run options that are not already resolved into the record.
struct HostConfig {
    std::vector<std::string> tmpfs;
    std::vector<std::string> cap_add;
    std::vector<std::string> cap_drop;
    std::vector<std::string> security_opt;
    bool privileged = false;
    bool init = false;
    bool read_only_tmpfs = true;
    std::string userns;
    std::string restart_policy = "no"; // no | on-failure | always | unless-stopped
    int restart_max = 0;               // on-failure:N (0: no limit)
    std::string stop_signal;           // from the image; empty: SIGTERM
    int stop_timeout = 10;
    uint32_t uid = 0;                  // the resolved user
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;
    // Networking as asked (--network is the record's `network`).
    std::vector<std::string> publish;       // -p
    bool publish_all = false;               // -P
    std::vector<std::string> exposed_ports; // the image's, for -P
    std::vector<std::string> dns, dns_search, dns_option, add_host;
};

struct ContainerRecord {
    std::string id;   // 64 hex
    std::string name;
    std::string image;    // as the user gave it, normalised
    std::string image_id; // config digest "sha256:..."
    std::string created;  // RFC 3339
    std::vector<std::string> command; // the full argv run (entrypoint + cmd)
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    std::vector<std::string> env;
    std::string working_dir;
    std::string user;
    std::string hostname;
    std::string network;
    bool tty = false;
    bool interactive = false;
    bool auto_remove = false;
    bool read_only = false;
    std::map<std::string, std::string> labels;
    std::vector<std::string> mounts; // "SRC:DST[:OPTS]" as given
    std::string driver;              // storage driver of its rootfs
    HostConfig host;
    std::vector<std::string> ports;  // published, as bound: "tcp:IP:HOSTPORT:CTRPORT" (net/port_spec.hpp)
    ContainerState state;
};

class ContainerStore {
public:
    explicit ContainerStore(std::string root); // the store root, e.g. ~/.local/share/skiff

    // Assigns id (unless the caller chose one) and a generated name when
    // empty, creates the directory and
    // writes the record. A name already in use fails with the holder's id.
    ContainerRecord create(ContainerRecord rec);
    void save(const ContainerRecord& rec);
    // By full id, unique id prefix, or name. Throws Error (exit 125) when none.
    ContainerRecord lookup(const std::string& name_or_id) const;
    std::optional<ContainerRecord> find(const std::string& name_or_id) const;
    std::vector<ContainerRecord> list() const;
    void remove(const std::string& id);
    // Under the lock: gives rec a new unique name and saves it.
    void rename(ContainerRecord& rec, const std::string& new_name);

    std::string dir(const std::string& id) const { return containers_ + "/" + id; }
    std::string lock_path() const { return root_ + "/containers.lock"; }

private:
    std::optional<ContainerRecord> load(const std::string& id) const;
    std::optional<std::string> name_holder(const std::string& name) const;
    void claim_name(const std::string& name, const std::string& id);
    void release_name(const std::string& name, const std::string& id);
    void ensure_index();

    std::string root_;
    std::string containers_;
    std::string names_; // names/NAME -> id
};

std::string now_rfc3339();
std::string random_hex_id();
std::string generate_name();
// Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*. Throws Error otherwise.
void require_valid_container_name(const std::string& name);

} // namespace skiff::engine
