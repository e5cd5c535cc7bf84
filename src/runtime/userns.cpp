#include "runtime/userns.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <csignal>
#include <exception>
#include <optional>
#include <thread>
#include <sys/prctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/process.hpp"

namespace skiff::runtime {

namespace {

std::string user_name(uid_t uid) {
    if (struct passwd* pw = ::getpwuid(uid); pw != nullptr) return pw->pw_name;
    return std::to_string(uid);
}

// The message a failed fn leaves for the parent: exit code, then the text.
struct ChildError {
    int exit_code = kExitSkiffError;
    std::string message;
};

void send_child_error(int fd, const ChildError& e) {
    std::string rec = fmt::format("{}\n{}", e.exit_code, e.message);
    try {
        write_all(fd, rec);
    } catch (...) {
        // the parent will report the exit status instead
    }
}

std::optional<ChildError> read_child_error(int fd) {
    std::string rec = read_all(fd, 1 << 20);
    if (rec.empty()) return std::nullopt;
    ChildError e;
    auto nl = rec.find('\n');
    e.exit_code = std::atoi(rec.substr(0, nl).c_str());
    e.message = nl == std::string::npos ? "" : rec.substr(nl + 1);
    return e;
}

void write_proc_file(pid_t pid, const char* name, const std::string& text) {
    std::string path = fmt::format("/proc/{}/{}", pid, name);
    UniqueFd fd = open_fd(path, O_WRONLY);
    with_context("writing " + path, [&] { write_all(fd.get(), text); });
}

} // namespace

void install_id_maps(pid_t pid, const UserNamespaceMaps& maps) {
    if (maps.single_id) {
        write_proc_file(pid, "setgroups", "deny");
        write_proc_file(pid, "uid_map", format_id_map(maps.uid));
        write_proc_file(pid, "gid_map", format_id_map(maps.gid));
        return;
    }
    // Both helpers at once: each is a setuid exec, the largest cost of
    // starting a rootless container.
    CommandResult results[2];
    std::exception_ptr errors[2];
    const std::string* helpers[2] = {&maps.newuidmap, &maps.newgidmap};
    const std::vector<IdMapping>* m[2] = {&maps.uid, &maps.gid};
    auto one = [&](int i) {
        try {
            results[i] = run_command(id_map_helper_argv(*helpers[i], pid, *m[i]));
        } catch (...) {
            errors[i] = std::current_exception();
        }
    };
    std::thread gid_thread(one, 1);
    one(0);
    gid_thread.join();
    for (int i = 0; i < 2; ++i) {
        if (errors[i]) std::rethrow_exception(errors[i]);
        if (results[i].status != 0)
            throw Error(fmt::format("{} failed (exit {}): {}", *helpers[i], results[i].status,
                                    results[i].stderr_text.empty() ? "no message" : results[i].stderr_text));
    }
}

UserNamespaceMaps rootless_maps() {
    UserNamespaceMaps m;
    uid_t uid = ::geteuid();
    gid_t gid = ::getegid();
    std::string name = user_name(uid);
    auto subuid = subordinate_ranges("/etc/subuid", name, uid);
    auto subgid = subordinate_ranges("/etc/subgid", name, uid);
    IdMapHelper nu = find_newuidmap();
    IdMapHelper ng = find_newgidmap();
    if (subuid.empty() || subgid.empty()) {
        m.single_id_reason = fmt::format("no subordinate ID range for user {} in /etc/subuid and /etc/subgid", name);
    } else if (!nu.usable || !ng.usable) {
        m.single_id_reason = fmt::format("{} is not usable: {}", nu.usable ? ng.name : nu.name,
                                         nu.usable ? ng.detail : nu.detail);
    }
    if (!m.single_id_reason.empty()) {
        m.single_id = true;
        m.uid = {IdMapping{0, static_cast<uint32_t>(uid), 1}};
        m.gid = {IdMapping{0, static_cast<uint32_t>(gid), 1}};
        return m;
    }
    m.uid = container_id_mappings(uid, subuid);
    m.gid = container_id_mappings(gid, subgid);
    m.newuidmap = nu.path;
    m.newgidmap = ng.path;
    return m;
}

namespace {

// In a forked helper: runs fn, sends an Error it throws to error_fd as a
// ChildError, and exits with its exit code (0 when fn returns).
[[noreturn]] void run_and_exit(int error_fd, const std::function<void()>& fn) {
    int code = 0;
    try {
        fn();
    } catch (const Error& e) {
        send_child_error(error_fd, {e.exit_code(), e.what()});
        code = e.exit_code();
    } catch (const std::exception& e) {
        send_child_error(error_fd, {kExitSkiffError, e.what()});
        code = kExitSkiffError;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(code);
}

// In the parent: reaps the helper and rethrows what it reported, or says
// that it failed (who: "the helper process").
void collect(int error_fd, pid_t pid, const char* who) {
    auto child_error = read_child_error(error_fd);
    int status = wait_for(pid);
    if (child_error) throw Error(child_error->message, 0, child_error->exit_code);
    if (status != 0) throw Error(fmt::format("{} failed ({})", who, exit_code_of(status)));
}

} // namespace

void run_in_user_namespace(const UserNamespaceMaps& maps, const std::function<void()>& fn) {
    Pipe ready = Pipe::make();  // child -> parent: "unshared" (or its errno)
    Pipe go = Pipe::make();     // parent -> child: "maps installed"
    Pipe errors = Pipe::make(); // child -> parent: ChildError
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
        ready.read.reset();
        go.write.reset();
        errors.read.reset();
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        int err = ::unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
        ssize_t n = ::write(ready.write.get(), &err, sizeof err);
        if (err != 0 || n != sizeof err) ::_exit(kExitSkiffError);
        char c = 0;
        if (::read(go.read.get(), &c, 1) != 1 || c != 'g') ::_exit(kExitSkiffError);
        run_and_exit(errors.write.get(), [&] {
            if (::setresgid(0, 0, 0) < 0) throw_errno("setresgid(0) in the user namespace");
            if (::setresuid(0, 0, 0) < 0) throw_errno("setresuid(0) in the user namespace");
            if (!maps.single_id && ::setgroups(0, nullptr) < 0) throw_errno("setgroups in the user namespace");
            fn();
        });
    }
    ready.write.reset();
    go.read.reset();
    errors.write.reset();
    auto reap_on_error = [&](const Error& e) {
        go.write.reset();
        ::kill(pid, SIGKILL);
        wait_for(pid);
        throw e;
    };
    int err = -1;
    if (::read(ready.read.get(), &err, sizeof err) != sizeof err) err = EIO;
    if (err != 0) reap_on_error(Error("creating a user namespace (unshare CLONE_NEWUSER)", err));
    try {
        install_id_maps(pid, maps);
    } catch (Error& e) {
        e.context("setting up the user namespace's ID mapping");
        reap_on_error(e);
    }
    if (::write(go.write.get(), "g", 1) != 1) reap_on_error(Error("signalling the user namespace child", errno));
    go.write.reset();
    collect(errors.read.get(), pid, "the helper in the user namespace");
}

void run_as_container_root(bool rootless, const std::function<void()>& fn) {
    if (!rootless) {
        fn();
        return;
    }
    UserNamespaceMaps maps = rootless_maps();
    if (maps.single_id)
        log::warn("{}: only your own user is mapped, files owned by other users in images get your ID",
                  maps.single_id_reason);
    run_in_user_namespace(maps, fn);
}

void run_in_helper(bool rootless, const std::function<void()>& fn) {
    if (rootless) {
        run_as_container_root(true, fn);
        return;
    }
    Pipe errors = Pipe::make();
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
        errors.read.reset();
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        run_and_exit(errors.write.get(), fn);
    }
    errors.write.reset();
    collect(errors.read.get(), pid, "the helper process");
}

} // namespace skiff::runtime
