#include "engine/container_state.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "monitor/protocol.hpp"
#include "runtime/freezer.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"

namespace skiff::engine {

uint64_t process_start_time(int pid) {
    if (pid <= 0) return 0;
    std::string stat;
    try {
        auto text = read_file_if_present(fmt::format("/proc/{}/stat", pid), 4096);
        if (!text) return 0;
        stat = std::move(*text);
    } catch (const Error&) {
        return 0;
    }
    // The command name may hold spaces and parentheses: fields count from
    // the last ')'. Field 3 (state) follows it; starttime is field 22.
    auto close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    const char* p = stat.c_str() + close + 2;
    if (*p == 'Z' || *p == 'X') return 0; // a zombie no longer runs
    for (int field = 3; field < 22 && *p != '\0'; ++field) {
        p = std::strchr(p, ' ');
        if (p == nullptr) return 0;
        ++p;
    }
    return std::strtoull(p, nullptr, 10);
}

bool process_alive(int pid, uint64_t start) { return pid > 0 && start != 0 && process_start_time(pid) == start; }

std::string current_boot_id() {
    static std::string id = [] {
        try {
            std::string s = read_file("/proc/sys/kernel/random/boot_id", 128);
            while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
            return s;
        } catch (const Error&) {
            return std::string();
        }
    }();
    return id;
}

bool is_running(const ContainerRecord& rec) {
    return rec.state.status == "running" || rec.state.status == "paused" || rec.state.status == "restarting";
}

namespace {

std::string rfc3339(long long secs, long nsec) {
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:09d}Z", fmt::gmtime(static_cast<std::time_t>(secs)), nsec);
}

// "<code> <secs> <nsecs>[ restarting]" from the monitor.
bool read_exit_file(const std::string& path, int* code, std::string* finished, bool* restarting) {
    std::string s;
    try {
        auto text = read_file_if_present(path, 256);
        if (!text) return false;
        s = std::move(*text);
    } catch (const Error&) {
        return false;
    }
    long long secs = 0;
    long nsec = 0;
    if (std::sscanf(s.c_str(), "%d %lld %ld", code, &secs, &nsec) != 3) return false;
    *finished = rfc3339(secs, nsec);
    *restarting = s.find("restarting") != std::string::npos;
    return true;
}

// Best effort: the container is being declared dead either way.
void thaw_quietly(const std::string& id) {
    auto f = runtime::Freezer::for_container(id, ::geteuid() != 0);
    if (!f) return;
    try {
        f->thaw();
    } catch (const Error& e) {
        log::debug("thawing {}: {}", id.substr(0, 12), e.what());
    }
}

} // namespace

void refresh_state(ContainerStore& store, ContainerRecord& rec, bool final) {
    if (!is_running(rec)) return;
    std::string cdir = store.dir(rec.id);
    int code = 0;
    std::string finished;
    bool restarting = false;
    bool same_boot = rec.state.boot_id.empty() || rec.state.boot_id == current_boot_id();
    if (read_exit_file(cdir + "/" + monitor::kExitFile, &code, &finished, &restarting)) {
        // Between two runs of a restart policy the monitor waits: the
        // container is "restarting" while the monitor lives.
        bool again = restarting && !final && same_boot &&
                     process_alive(rec.state.monitor_pid, rec.state.monitor_start);
        if (again && rec.state.status == "restarting") return;
        rec.state.status = again ? "restarting" : "exited";
        rec.state.exit_code = code;
        rec.state.finished_at = finished;
        rec.state.pid = 0;
        store.save(rec);
        return;
    }
    bool watcher_alive;
    if (rec.state.monitor_pid != 0) watcher_alive = same_boot && process_alive(rec.state.monitor_pid, rec.state.monitor_start);
    else watcher_alive = same_boot && process_alive(rec.state.pid, rec.state.pid_start); // a foreground run
    if (watcher_alive) return;
    // Nobody will record this container's end: it is over. What is left of
    // it (a container whose monitor was killed) is killed; its mounts live
    // in its own mount namespace and go with it.
    code = -1;
    if (same_boot && process_alive(rec.state.pid, rec.state.pid_start)) {
        ::kill(rec.state.pid, SIGKILL);
        code = 128 + SIGKILL;
        if (rec.state.status == "paused") thaw_quietly(rec.id); // a frozen process dies only once thawed
    }
    log::debug("container {}: its monitor is gone; marking it exited", rec.id.substr(0, 12));
    rec.state.status = "exited";
    rec.state.exit_code = code;
    rec.state.pid = 0;
    rec.state.finished_at = now_rfc3339();
    store.save(rec);
}

ContainerRecord lookup_fresh(ContainerStore& store, const std::string& key) {
    FileLock lock(store.lock_path());
    ContainerRecord rec = store.lookup(key);
    refresh_state(store, rec);
    return rec;
}

std::vector<ContainerRecord> list_fresh(ContainerStore& store) {
    FileLock lock(store.lock_path());
    auto all = store.list();
    for (auto& r : all) refresh_state(store, r);
    return all;
}

} // namespace skiff::engine
