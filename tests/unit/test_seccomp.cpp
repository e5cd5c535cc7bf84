// runtime/seccomp_profile: Docker's JSON format, the default profile, and
// the compiled filter's behaviour in a forked child.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/reboot.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "runtime/capabilities.hpp"
#include "runtime/seccomp_cache.hpp"
#include "runtime/seccomp_profile.hpp"
#include "storage_fixtures.hpp"
#include "util/atomic_file.hpp"
#include "util/dir_list.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

using namespace skiff;
using namespace skiff::runtime;
using Catch::Matchers::Contains;

namespace {

SeccompProfile parse(const std::string& json) { return parse_seccomp_profile(json, "t.json"); }

std::string parse_error(const std::string& json) {
    try {
        parse(json);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

// 0 when the call succeeded, its errno otherwise.
int result_of(long rc) { return rc < 0 ? errno : 0; }

// What a child observes; each probe returns 0 (success) or an errno.
enum Probe : size_t {
    kGetpid, kWriteDevNull, kAddKey, kKeyctl, kReboot, kMount, kUnshareUts, kKexecLoad, kClone3,
    kCloneNewUts, kFork, kPersonalityQuery, kPersonalityAslr, kSocketUnix, kSocketVsock, kSetns,
    kGetppid, kProbeCount
};
constexpr const char* kProbeNames[kProbeCount] = {
    "getpid", "write /dev/null", "add_key", "keyctl", "reboot", "mount", "unshare(CLONE_NEWUTS)",
    "kexec_load", "clone3", "clone(CLONE_NEWUTS)", "fork", "personality(query)",
    "personality(ADDR_NO_RANDOMIZE)", "socket(AF_UNIX)", "socket(AF_VSOCK)", "setns", "getppid",
};

// A clone child (unfiltered runs only) leaves at once.
int fork_like(unsigned long flags) {
    long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) return errno;
    if (pid == 0) _exit(0);
    int st = 0;
    ::waitpid(static_cast<pid_t>(pid), &st, 0);
    return 0;
}

void run_probes(std::array<int, kProbeCount>& r) {
    r[kGetpid] = syscall(SYS_getpid) > 0 ? 0 : errno;
    {
        int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        r[kWriteDevNull] = fd < 0 ? errno : result_of(::write(fd, "x", 1));
        if (fd >= 0) ::close(fd);
    }
    // Harmless arguments: a key type that does not exist, reboot without its
    // magic numbers, a mount point that does not exist, an invalid fd.
    r[kAddKey] = result_of(syscall(SYS_add_key, "skiff-no-such-type", "d", "x", 1, -2 /*process keyring*/));
    r[kKeyctl] = result_of(syscall(SYS_keyctl, 0 /*GET_KEYRING_ID*/, -2, 0));
    r[kReboot] = result_of(syscall(SYS_reboot, 0, 0, 0, nullptr));
    r[kMount] = result_of(syscall(SYS_mount, "none", "/nonexistent/skiff-seccomp-test", "tmpfs", 0, nullptr));
    r[kUnshareUts] = result_of(syscall(SYS_unshare, CLONE_NEWUTS));
    r[kKexecLoad] = result_of(syscall(SYS_kexec_load, 0, 0, nullptr, 0));
    r[kClone3] = result_of(syscall(SYS_clone3, nullptr, 0));
    r[kCloneNewUts] = fork_like(CLONE_NEWUTS);
    r[kFork] = fork_like(0);
    r[kPersonalityQuery] = result_of(syscall(SYS_personality, 0xffffffffUL));
    r[kPersonalityAslr] = result_of(syscall(SYS_personality, static_cast<unsigned long>(ADDR_NO_RANDOMIZE)));
    {
        long fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        r[kSocketUnix] = result_of(fd);
        if (fd >= 0) ::close(static_cast<int>(fd));
        fd = syscall(SYS_socket, 40 /*AF_VSOCK*/, SOCK_STREAM | SOCK_CLOEXEC, 0);
        r[kSocketVsock] = result_of(fd);
        if (fd >= 0) ::close(static_cast<int>(fd));
    }
    r[kSetns] = result_of(syscall(SYS_setns, -1, 0));
    r[kGetppid] = syscall(SYS_getppid) > 0 ? 0 : errno;
}

struct ChildResult {
    int status = -1;
    int apply_err = 0;
    std::array<int, kProbeCount> probes{};
};

// Forks; the child sets no_new_privs, installs filter (unless null), runs
// the probes and writes {apply errno, probe results} to a pipe.
ChildResult probe_in_child(const PreparedSeccomp* filter) {
    Pipe p = Pipe::make();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        p.read.reset();
        int msg[1 + kProbeCount] = {};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(20);
        msg[0] = filter ? apply_seccomp(*filter) : 0;
        if (msg[0] == 0) {
            std::array<int, kProbeCount> r{};
            run_probes(r);
            std::copy(r.begin(), r.end(), msg + 1);
        }
        ssize_t n = ::write(p.write.get(), msg, sizeof msg);
        _exit(n == static_cast<ssize_t>(sizeof msg) ? 0 : 21);
    }
    p.write.reset();
    std::string bytes = read_all(p.read.get());
    ChildResult r;
    REQUIRE(::waitpid(pid, &r.status, 0) == pid);
    REQUIRE(WIFEXITED(r.status));
    REQUIRE(WEXITSTATUS(r.status) == 0);
    REQUIRE(bytes.size() == sizeof(int) * (1 + kProbeCount));
    std::memcpy(&r.apply_err, bytes.data(), sizeof(int));
    std::memcpy(r.probes.data(), bytes.data() + sizeof(int), sizeof(int) * kProbeCount);
    return r;
}

// Runs fn in a forked child after installing filter; returns the wait status.
template <typename F>
int status_in_child(const PreparedSeccomp& filter, F fn) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
        if (apply_seccomp(filter) != 0) _exit(101);
        _exit(fn());
    }
    int st = 0;
    REQUIRE(::waitpid(pid, &st, 0) == pid);
    return st;
}

void check_probe(const ChildResult& r, Probe p, int expected) {
    INFO("probe " << kProbeNames[p] << ": got " << r.probes[p] << " (" << std::strerror(r.probes[p])
                  << "), expected " << expected);
    CHECK(r.probes[p] == expected);
}

} // namespace

TEST_CASE("seccomp profile: malformed profiles say what is wrong and where", "[seccomp]") {
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
            {"names":["read"],"action":"SCMP_ACT_ALLOW"},
            {"names":["write"],"action":"SCMP_ACT_FOO"}]})") ==
          "seccomp profile t.json: syscalls[1].action: unknown action 'SCMP_ACT_FOO'");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_BAR"})") ==
          "seccomp profile t.json: defaultAction: unknown action 'SCMP_ACT_BAR'");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["dup"],
            "action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},
            {"index":1,"value":1,"op":"SCMP_CMP_APPROX"}]}]})") ==
          "seccomp profile t.json: syscalls[0].args[1].op: unknown operator 'SCMP_CMP_APPROX'");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"action":"SCMP_ACT_ALLOW"}]})") ==
          "seccomp profile t.json: syscalls[0]: no syscall names ('names' is missing or empty)");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]})") ==
          "seccomp profile t.json: syscalls[0]: no syscall names ('names' is missing or empty)");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]})") ==
          "seccomp profile t.json: syscalls[0]: use either 'name' or 'names', not both");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"]}]})") ==
          "seccomp profile t.json: syscalls[0].action: missing");
    CHECK(parse_error(R"({"syscalls":[]})") == "seccomp profile t.json: defaultAction: missing");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read", 3],"action":"SCMP_ACT_ALLOW"}]})") ==
          "seccomp profile t.json: syscalls[0].names[1]: expected a string");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":"1"}]})") ==
          "seccomp profile t.json: syscalls[0].errnoRet: expected a non-negative integer");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":1}]})") ==
          "seccomp profile t.json: syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["dup"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]})") ==
          "seccomp profile t.json: syscalls[0].args[0].index: 6 is out of range (at most 5)");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["dup"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":-1,"op":"SCMP_CMP_EQ"}]}]})") ==
          "seccomp profile t.json: syscalls[0].args[0].value: expected a non-negative integer");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["dup"],"action":"SCMP_ACT_ALLOW","args":[{"value":1,"op":"SCMP_CMP_EQ"}]}]})") ==
          "seccomp profile t.json: syscalls[0].args[0].index: missing");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4"}}]})") ==
          "seccomp profile t.json: syscalls[0].includes.minKernel: invalid kernel version '4' (expected MAJOR.MINOR)");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","X86"]})") ==
          "seccomp profile t.json: architectures[1]: unknown architecture 'X86' (expected SCMP_ARCH_*)");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":{}})") ==
          "seccomp profile t.json: syscalls: expected an array");
    CHECK(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]})") ==
          "seccomp profile t.json: syscalls[0].action: action 'SCMP_ACT_NOTIFY' is not supported");
    CHECK_THAT(parse_error(R"({"defaultAction":"SCMP_ACT_ERRNO","listenerPath":"/run/x.sock"})"),
               Contains("not supported"));
    CHECK(parse_error(R"([1, 2])") == "seccomp profile t.json: expected a JSON object at the top level");
    CHECK_THAT(parse_error("{\"defaultAction\": "), Contains("seccomp profile t.json: invalid JSON: "));
    CHECK_THAT(parse_error("not json at all"), Contains("seccomp profile t.json: invalid JSON: "));
}

TEST_CASE("seccomp profile: a valid profile parses into rules", "[seccomp]") {
    SeccompProfile p = parse(R"({
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
        "architectures": ["SCMP_ARCH_X86_64"],
        "archMap": [{"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
                    {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": null}],
        "unknownKey": {"ignored": true},
        "syscalls": [
            {"name": "read", "action": "SCMP_ACT_ALLOW", "comment": "single name"},
            {"names": ["getppid"], "action": "SCMP_ACT_ERRNO"},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
             "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390x"]},
             "includes": {"minKernel": "4.8"}},
            {"names": ["getpid"], "action": "SCMP_ACT_KILL"},
            {"names": ["gettid"], "action": "SCMP_ACT_TRACE", "errnoRet": 7}
        ]})");
    CHECK(p.default_action == SeccompAction{SeccompActionKind::errno_ret, 38});
    CHECK(p.architectures == std::vector<std::string>{"SCMP_ARCH_X86_64"});
    REQUIRE(p.arch_map.size() == 2);
    CHECK(p.arch_map[0].sub_arches == std::vector<std::string>{"SCMP_ARCH_ARM"});
    CHECK(p.arch_map[1].sub_arches.empty());
    REQUIRE(p.syscalls.size() == 6);
    CHECK(p.syscalls[0].names == std::vector<std::string>{"read"});
    CHECK(p.syscalls[0].comment == "single name");
    CHECK(p.syscalls[1].action == SeccompAction{SeccompActionKind::errno_ret, EPERM});
    REQUIRE(p.syscalls[2].args.size() == 1);
    CHECK(p.syscalls[2].args[0].value == 4294967295u);
    CHECK(p.syscalls[2].args[0].op == SeccompOp::eq);
    REQUIRE(p.syscalls[3].args.size() == 1);
    CHECK(p.syscalls[3].args[0].op == SeccompOp::masked_eq);
    CHECK(p.syscalls[3].args[0].value == 2114060288u);
    CHECK(p.syscalls[3].excludes.caps == std::vector<std::string>{"CAP_SYS_ADMIN"});
    CHECK(p.syscalls[3].excludes.arches == std::vector<std::string>{"s390x"});
    CHECK(p.syscalls[3].includes.min_kernel == "4.8");
    CHECK(p.syscalls[4].action.kind == SeccompActionKind::kill_thread);
    CHECK(p.syscalls[5].action == SeccompAction{SeccompActionKind::trace, 7});

    PreparedSeccomp bpf = compile_seccomp(p, {});
    CHECK(!bpf.unconfined());
}

TEST_CASE("seccomp profile: unknown syscall names are skipped, unknown arches refused", "[seccomp]") {
    SeccompProfile p = parse(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["no_such_syscall_skiff","getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":99}]})");
    PreparedSeccomp bpf = compile_seccomp(p, {});
    REQUIRE(!bpf.unconfined());
    int st = status_in_child(bpf, [] { return syscall(SYS_getppid) < 0 && errno == 99 ? 0 : 1; });
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);

    SeccompProfile q = parse(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_PDP11"]})");
    CHECK_THROWS_WITH(compile_seccomp(q, {}), "unsupported architecture 'SCMP_ARCH_PDP11'");
}

TEST_CASE("seccomp profile: loading from a file and --security-opt values", "[seccomp]") {
    CHECK_THROWS_WITH(load_seccomp_profile("/nonexistent/skiff.json"),
                      Contains("loading seccomp profile: opening /nonexistent/skiff.json"));
    CHECK(prepare_seccomp("unconfined", 0).unconfined());
    CHECK(!prepare_seccomp("", default_capabilities()).unconfined());
}

TEST_CASE("the default profile denies machine-wide calls and gates the rest on capabilities", "[seccomp]") {
    SeccompProfile p = default_seccomp_profile();
    CHECK(p.default_action == SeccompAction{SeccompActionKind::errno_ret, EPERM});
    auto allowed_anywhere = [&](const std::string& name) {
        return std::any_of(p.syscalls.begin(), p.syscalls.end(), [&](const SeccompRule& r) {
            return r.action.kind == SeccompActionKind::allow &&
                   std::find(r.names.begin(), r.names.end(), name) != r.names.end();
        });
    };
    for (const char* never : {"add_key", "keyctl", "request_key", "kexec_load", "kexec_file_load",
                              "swapon", "swapoff", "userfaultfd", "uselib", "nfsservctl", "io_uring_setup",
                              "open_by_handle_at_typo"})
        CHECK_FALSE(allowed_anywhere(never));
    for (const char* always : {"read", "write", "execve", "exit_group", "openat", "mmap", "futex", "rt_sigreturn",
                               "socket", "capset", "seccomp", "prctl"})
        CHECK(allowed_anywhere(always));

    PreparedSeccomp plain = compile_seccomp(p, {.caps = default_capabilities()});
    PreparedSeccomp admin = compile_seccomp(p, {.caps = default_capabilities() | cap_bit(CAP_SYS_ADMIN)});
    CHECK(plain.prog.size() > 100);
    CHECK(plain.prog.size() <= BPF_MAXINSNS);
    CHECK(admin.prog.size() <= BPF_MAXINSNS);
    CHECK(plain.prog.size() != admin.prog.size());
}

TEST_CASE("the default profile, applied in a child, blocks what it should", "[seccomp][behaviour]") {
    // Control run: the probes tell a filtered call from an unfiltered one.
    ChildResult none = probe_in_child(nullptr);
    REQUIRE(none.apply_err == 0);
    check_probe(none, kGetpid, 0);
    check_probe(none, kFork, 0);
    CHECK(none.probes[kAddKey] != EPERM);
    CHECK(none.probes[kSetns] == EBADF);
    CHECK(none.probes[kClone3] != ENOSYS);
    if (::geteuid() == 0) {
        CHECK(none.probes[kMount] == ENOENT);
        CHECK(none.probes[kReboot] == EINVAL);
    }

    SECTION("default capabilities") {
        PreparedSeccomp f = compile_seccomp(default_seccomp_profile(), {.caps = default_capabilities()});
        ChildResult r = probe_in_child(&f);
        REQUIRE(r.apply_err == 0);
        check_probe(r, kGetpid, 0);
        check_probe(r, kGetppid, 0);
        check_probe(r, kWriteDevNull, 0);
        check_probe(r, kFork, 0);
        check_probe(r, kPersonalityQuery, 0);
        check_probe(r, kSocketUnix, 0);
        check_probe(r, kAddKey, EPERM);
        check_probe(r, kKeyctl, EPERM);
        check_probe(r, kReboot, EPERM);
        check_probe(r, kMount, EPERM);
        check_probe(r, kUnshareUts, EPERM);
        check_probe(r, kKexecLoad, EPERM);
        check_probe(r, kClone3, ENOSYS);
        check_probe(r, kCloneNewUts, EPERM);
        check_probe(r, kPersonalityAslr, EPERM);
        check_probe(r, kSocketVsock, EPERM);
        check_probe(r, kSetns, EPERM);
    }
    SECTION("with CAP_SYS_ADMIN, mount/unshare/setns/clone3 reach the kernel") {
        PreparedSeccomp f = compile_seccomp(default_seccomp_profile(),
                                            {.caps = default_capabilities() | cap_bit(CAP_SYS_ADMIN)});
        ChildResult r = probe_in_child(&f);
        REQUIRE(r.apply_err == 0);
        check_probe(r, kSetns, EBADF);
        check_probe(r, kClone3, none.probes[kClone3]);
        check_probe(r, kKeyctl, EPERM);
        check_probe(r, kKexecLoad, EPERM);
        if (::geteuid() == 0) {
            check_probe(r, kMount, ENOENT);
            check_probe(r, kUnshareUts, 0);
            check_probe(r, kCloneNewUts, 0);
        }
    }
}

TEST_CASE("a JSON profile's actions, arguments and conditions take effect", "[seccomp][behaviour]") {
    SeccompProfile p = parse(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":99},
        {"names":["dup"],"action":"SCMP_ACT_ERRNO","errnoRet":77,
         "args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]},
        {"names":["umask"],"action":"SCMP_ACT_ERRNO","errnoRet":55,
         "args":[{"index":0,"value":448,"valueTwo":448,"op":"SCMP_CMP_MASKED_EQ"}]},
        {"names":["getpgrp"],"action":"SCMP_ACT_ERRNO","errnoRet":66,"includes":{"caps":["CAP_SYS_ADMIN"]}},
        {"names":["getsid"],"action":"SCMP_ACT_ERRNO","errnoRet":67,"excludes":{"caps":["CAP_SYS_ADMIN"]}},
        {"names":["sched_yield"],"action":"SCMP_ACT_KILL_PROCESS"}]})");

    auto checks = [] {
        if (!(syscall(SYS_getppid) < 0 && errno == 99)) return 1;
        long fd = syscall(SYS_dup, 0);
        if (!(fd < 0 && errno == 77)) return 2;
        fd = syscall(SYS_dup, 1);
        if (fd < 0) return 3;
        if (!(syscall(SYS_umask, 0700) < 0 && errno == 55)) return 4;
        if (syscall(SYS_umask, 0022) < 0) return 5;
        return 0;
    };

    SECTION("errno actions with argument filters") {
        PreparedSeccomp f = compile_seccomp(p, {.caps = 0});
        int st = status_in_child(f, checks);
        INFO("exit status " << (WIFEXITED(st) ? WEXITSTATUS(st) : -1));
        CHECK(WIFEXITED(st));
        CHECK(WEXITSTATUS(st) == 0);
    }
    SECTION("includes/excludes follow the capability set") {
        PreparedSeccomp without = compile_seccomp(p, {.caps = 0});
        PreparedSeccomp with = compile_seccomp(p, {.caps = cap_bit(CAP_SYS_ADMIN)});
        auto pgrp_sid = [] {
            int a = syscall(SYS_getpgrp) < 0 ? errno : 0;
            int b = syscall(SYS_getsid, 0) < 0 ? errno : 0;
            return (a == 66 ? 1 : 0) | (b == 67 ? 2 : 0);
        };
        int st = status_in_child(without, pgrp_sid);
        CHECK(WIFEXITED(st));
        CHECK(WEXITSTATUS(st) == 2); // only the excludes rule applies
        st = status_in_child(with, pgrp_sid);
        CHECK(WIFEXITED(st));
        CHECK(WEXITSTATUS(st) == 1); // only the includes rule applies
    }
    SECTION("kill_process ends the child with SIGSYS") {
        PreparedSeccomp f = compile_seccomp(p, {});
        int st = status_in_child(f, [] {
            syscall(SYS_sched_yield);
            return 0;
        });
        REQUIRE(WIFSIGNALED(st));
        CHECK(WTERMSIG(st) == SIGSYS);
    }
    SECTION("an unconfined filter changes nothing") {
        int st = status_in_child(PreparedSeccomp{}, [] { return syscall(SYS_getppid) > 0 ? 0 : 1; });
        CHECK(WIFEXITED(st));
        CHECK(WEXITSTATUS(st) == 0);
    }
}

namespace {

bool same_program(const PreparedSeccomp& a, const PreparedSeccomp& b) {
    return a.prog.size() == b.prog.size() &&
           std::memcmp(a.prog.data(), b.prog.data(), a.prog.size() * sizeof(sock_filter)) == 0;
}

// The one cache file in dir.
std::string only_file(const std::string& dir) {
    std::string found;
    for (const auto& name : list_dir(dir)) {
        REQUIRE(found.empty());
        found = dir + "/" + name;
    }
    REQUIRE_FALSE(found.empty());
    return found;
}

} // namespace

TEST_CASE("the default program's cache: stored, reused, and replaced when it does not match") {
    skiff::testing::ScratchDir tmp("skiff-seccomp-cache");
    std::string dir = tmp / "seccomp";
    CapMask caps = default_capabilities();
    PreparedSeccomp fresh = compile_seccomp(default_seccomp_profile(), {.caps = caps});

    PreparedSeccomp first = default_seccomp_cached(dir, caps);
    CHECK(same_program(first, fresh));
    std::string file = only_file(dir);
    std::string stored = read_file(file);
    CHECK(stored.rfind(seccomp_cache_key(caps) + "\n", 0) == 0);
    CHECK(stored.size() == seccomp_cache_key(caps).size() + 1 + fresh.prog.size() * sizeof(sock_filter));

    // Reused: an altered (but well-formed) program in the file is what comes back.
    std::string altered = stored;
    altered[altered.size() - 1] ^= 0x01;
    atomic_write_file(file, altered, 0600);
    CHECK_FALSE(same_program(default_seccomp_cached(dir, caps), fresh));

    // A torn file (not whole instructions) or another key: compiled again and rewritten.
    atomic_write_file(file, stored.substr(0, stored.size() - 3), 0600);
    CHECK(same_program(default_seccomp_cached(dir, caps), fresh));
    CHECK(read_file(file) == stored);
    atomic_write_file(file, "skiff-seccomp-1 exe=other\n" + stored.substr(stored.find('\n') + 1), 0600);
    CHECK(same_program(default_seccomp_cached(dir, caps), fresh));
    CHECK(read_file(file) == stored);

    // Other capabilities: another key, another file.
    CHECK(seccomp_cache_key(caps) != seccomp_cache_key(caps | cap_bit(CAP_SYS_ADMIN)));
    PreparedSeccomp admin = default_seccomp_cached(dir, caps | cap_bit(CAP_SYS_ADMIN));
    CHECK(same_program(admin, compile_seccomp(default_seccomp_profile(), {.caps = caps | cap_bit(CAP_SYS_ADMIN)})));
    CHECK(list_dir(dir).size() == 2);
}
