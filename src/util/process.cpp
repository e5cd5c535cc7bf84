#include "util/process.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/child_report.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff {

int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw_errno("waiting for process " + std::to_string(pid));
    }
    return status;
}

int exit_code_of(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 255;
}

bool single_threaded() {
    int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return false;
    buf[n] = '\0';
    const char* t = std::strstr(buf, "\nThreads:");
    return t != nullptr && std::strtol(t + 9, nullptr, 10) == 1;
}

CommandResult run_command(const std::vector<std::string>& argv) {
    if (argv.empty()) throw Error("run_command: empty argv");
    // Everything the child needs is prepared before fork.
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    Pipe err = Pipe::make();
    Pipe report = Pipe::make();
    UniqueFd devnull = open_fd("/dev/null", O_RDWR);

    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork for " + argv[0]);
    if (pid == 0) {
        if (::dup2(devnull.get(), 0) < 0 || ::dup2(devnull.get(), 1) < 0 || ::dup2(err.write.get(), 2) < 0) {
            child_report_failure(report.write.get(), "dup2", errno);
            ::_exit(127);
        }
        ::execv(cargv[0], cargv.data());
        child_report_failure(report.write.get(), "execve", errno, cargv[0]);
        ::_exit(127);
    }
    err.write.reset();
    report.write.reset();
    CommandResult r;
    try {
        r.stderr_text = read_all(err.read.get(), 64 * 1024);
    } catch (const Error&) {
        // too chatty: keep going, the status is what matters
    }
    auto failure = read_child_report(report.read.get());
    r.status = exit_code_of(wait_for(pid));
    if (failure) throw Error("running " + argv[0] + ": " + failure->describe());
    while (!r.stderr_text.empty() && (r.stderr_text.back() == '\n' || r.stderr_text.back() == ' '))
        r.stderr_text.pop_back();
    return r;
}

} // namespace skiff
