#include "engine/lifecycle.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/container_state.hpp"
#include "engine/pause.hpp"
#include "engine/rootfs.hpp"
#include "engine/volumes.hpp"
#include "monitor/protocol.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"
#include "util/signals.hpp"

namespace skiff::engine {

namespace {

// A pidfd for pid if it is still the process that started at `start`;
// empty when it is gone.
UniqueFd open_process(int pid, uint64_t start) {
    if (pid <= 0) return {};
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!fd) return {};
    // Opened first, checked second: a pid reused after the check could
    // not be signalled through this fd.
    if (process_start_time(pid) != start) return {};
    return fd;
}

bool send_signal(const UniqueFd& pidfd, int sig) {
    return pidfd && ::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) == 0;
}

// True once the process behind pidfd has exited (or at once without one).
bool wait_exit(const UniqueFd& pidfd, int timeout_ms) {
    if (!pidfd) return true;
    struct pollfd p {pidfd.get(), POLLIN, 0};
    for (;;) {
        int r = ::poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        return r > 0;
    }
}

void touch(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
}

// After the container's process has gone: until its monitor has recorded
// the exit (or is found gone), up to timeout_ms.
void wait_recorded(ContainerStore& store, const std::string& id, int timeout_ms) {
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        {
            FileLock lock(store.lock_path());
            auto rec = store.find(id);
            if (!rec) return;
            refresh_state(store, *rec);
            if (!is_running(*rec)) return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

} // namespace

void stop_container(const Paths& paths, const std::string& key, std::optional<int> timeout) {
    ContainerStore store(paths.root);
    ContainerRecord rec = lookup_fresh(store, key);
    if (!is_running(rec)) return;
    touch(store.dir(rec.id) + "/" + monitor::kStoppedByUser);
    UniqueFd pidfd = open_process(rec.state.pid, rec.state.pid_start);
    int sig = rec.host.stop_signal.empty() ? SIGTERM : signal_number(rec.host.stop_signal);
    int secs = timeout.value_or(rec.host.stop_timeout);
    log::debug("stopping {} with {}, SIGKILL after {} s", rec.name, signal_name(sig), secs);
    send_signal(pidfd, sig);
    thaw_for_signal(paths, rec); // a paused container gets the signal now
    if (!wait_exit(pidfd, secs * 1000)) {
        log::info("container {} did not stop within {} s: sending SIGKILL", rec.name, secs);
        send_signal(pidfd, SIGKILL);
        wait_exit(pidfd, 10000);
    }
    wait_recorded(store, rec.id, 5000);
}

void kill_container(const Paths& paths, const std::string& key, int sig) {
    ContainerStore store(paths.root);
    ContainerRecord rec = lookup_fresh(store, key);
    if (!is_running(rec))
        throw Error(fmt::format("can only kill running containers. {} is in state {}", rec.id, rec.state.status));
    UniqueFd pidfd = open_process(rec.state.pid, rec.state.pid_start);
    if (!send_signal(pidfd, sig)) throw_errno(fmt::format("sending {} to container {}", signal_name(sig), rec.name));
    if (sig == SIGKILL) {
        // Other signals wait in a paused container until unpause; this one ends it.
        thaw_for_signal(paths, rec);
        wait_exit(pidfd, 10000);
        wait_recorded(store, rec.id, 5000);
    }
}

void remove_container(const Paths& paths, const std::string& key, bool force, bool volumes) {
    ContainerStore store(paths.root);
    ContainerRecord rec = lookup_fresh(store, key);
    if (is_running(rec)) {
        if (!force)
            throw Error(fmt::format("cannot remove container {} as it is {} - running or paused containers cannot "
                                    "be removed without force",
                                    rec.id, rec.state.status));
        touch(store.dir(rec.id) + "/" + monitor::kStoppedByUser);
        UniqueFd monitor = open_process(rec.state.monitor_pid, rec.state.monitor_start);
        UniqueFd pidfd = open_process(rec.state.pid, rec.state.pid_start);
        send_signal(pidfd, SIGKILL);
        thaw_for_signal(paths, rec);
        wait_exit(pidfd, 10000);
        // Its monitor records the end and exits; one that hangs is killed.
        if (!wait_exit(monitor, 5000)) {
            send_signal(monitor, SIGKILL);
            wait_exit(monitor, 2000);
        }
    }
    FileLock lock(store.lock_path());
    if (store.find(rec.id)) remove_container_files(paths, store, rec.id);
    remove_freezer(paths, rec.id);
    lock.unlock();
    if (volumes) remove_anonymous_volumes(paths, rec.mounts);
}

int wait_container(const Paths& paths, const std::string& key) {
    ContainerStore store(paths.root);
    ContainerRecord rec = lookup_fresh(store, key);
    std::string exit_file = store.dir(rec.id) + "/" + monitor::kExitFile;
    while (is_running(rec)) {
        UniqueFd pidfd = open_process(rec.state.pid, rec.state.pid_start);
        wait_exit(pidfd, 1000);
        // The exit file may be folded and the container removed (--rm) at
        // any moment: read the code from the file while it is there.
        for (int i = 0; i < 500; ++i) {
            int code = 0;
            try {
                std::string s = read_file(exit_file, 256);
                if (std::sscanf(s.c_str(), "%d", &code) == 1) return code;
            } catch (const Error&) {
            }
            FileLock lock(store.lock_path());
            auto now = store.find(rec.id);
            if (!now) throw Error(fmt::format("container {} was removed before its exit code could be read", key));
            refresh_state(store, *now);
            rec = *now;
            if (!is_running(rec)) break;
            if (pidfd && !wait_exit(pidfd, 0)) break; // still running: back to the long wait
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    return rec.state.exit_code;
}

void rename_container(const Paths& paths, const std::string& key, const std::string& new_name) {
    ContainerStore store(paths.root);
    FileLock lock(store.lock_path());
    ContainerRecord rec = store.lookup(key);
    store.rename(rec, new_name);
}

std::vector<std::string> prune_containers(const Paths& paths) {
    ContainerStore store(paths.root);
    FileLock lock(store.lock_path());
    std::vector<std::string> removed;
    for (auto& rec : store.list()) {
        refresh_state(store, rec);
        if (is_running(rec)) continue;
        remove_container_files(paths, store, rec.id);
        removed.push_back(rec.id);
    }
    return removed;
}

} // namespace skiff::engine
