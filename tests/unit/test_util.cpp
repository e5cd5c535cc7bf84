// util: the error type, atomic writes, locks and child reports.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "util/atomic_file.hpp"
#include "util/child_report.hpp"
#include "util/child_stack.hpp"
#include "util/dynlib.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"
#include "util/scope_guard.hpp"

using namespace skiff;

namespace {
struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/skiff-unit-XXXXXX";
        REQUIRE(::mkdtemp(t) != nullptr);
        path = t;
    }
    ~TempDir() {
        std::string cmd = "rm -rf '" + path + "'";
        int rc = std::system(cmd.c_str());
        (void)rc;
    }
};

int count_entries(const std::string& dir) {
    int n = 0;
    DIR* d = ::opendir(dir.c_str());
    REQUIRE(d != nullptr);
    while (auto* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++n;
    ::closedir(d);
    return n;
}
} // namespace

TEST_CASE("Error carries errno and a context trail") {
    Error e("connect", ECONNREFUSED);
    e.context("fetching layer sha256:abc").context("pulling 'x'");
    CHECK(std::string(e.what()) == "pulling 'x': fetching layer sha256:abc: connect: Connection refused");
    CHECK(e.error_number() == ECONNREFUSED);
    CHECK(e.exit_code() == kExitSkiffError);
    CHECK(e.message() == "pulling 'x': fetching layer sha256:abc: connect");
}

TEST_CASE("with_context adds the step to a thrown Error") {
    try {
        with_context("reading config", [] { throw_errno("open /x", ENOENT); });
        FAIL("no throw");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "reading config: open /x: No such file or directory");
    }
}

TEST_CASE("Error without errno has no errno text") {
    Error e("manifest unknown");
    CHECK(std::string(e.what()) == "manifest unknown");
}

TEST_CASE("UniqueFd closes on destruction and release hands it over") {
    int raw;
    {
        UniqueFd fd = open_fd("/dev/null", O_RDONLY);
        raw = fd.get();
        CHECK(::fcntl(raw, F_GETFD) & FD_CLOEXEC);
    }
    CHECK(::fcntl(raw, F_GETFD) == -1);
    UniqueFd a = open_fd("/dev/null", O_RDONLY);
    int r = a.release();
    CHECK(!a);
    CHECK(::fcntl(r, F_GETFD) != -1);
    ::close(r);
}

TEST_CASE("open_fd names the path in its error") {
    try {
        open_fd("/nonexistent/skiff", O_RDONLY);
        FAIL("no throw");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "opening /nonexistent/skiff: No such file or directory");
        CHECK(e.error_number() == ENOENT);
    }
}

TEST_CASE("atomic_write_file replaces content and leaves no temp file") {
    TempDir t;
    std::string f = t.path + "/state.json";
    atomic_write_file(f, "one");
    CHECK(read_file(f) == "one");
    atomic_write_file(f, "two", 0600);
    CHECK(read_file(f) == "two");
    struct stat st {};
    REQUIRE(::stat(f.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(count_entries(t.path) == 1);
}

TEST_CASE("update_file keeps a file that already holds the content, replaces one that differs") {
    TempDir t;
    std::string f = t.path + "/hosts";
    update_file(f, "127.0.0.1 localhost\n");
    CHECK(read_file(f) == "127.0.0.1 localhost\n");
    struct stat before {};
    REQUIRE(::stat(f.c_str(), &before) == 0);
    update_file(f, "127.0.0.1 localhost\n");
    struct stat same {};
    REQUIRE(::stat(f.c_str(), &same) == 0);
    CHECK(same.st_ino == before.st_ino); // not rewritten
    // Same length, other bytes; then another length: both replaced.
    update_file(f, "127.0.0.1 localhosT\n");
    CHECK(read_file(f) == "127.0.0.1 localhosT\n");
    update_file(f, "x");
    CHECK(read_file(f) == "x");
    // A symlink in its place is replaced, not followed.
    std::string target = t.path + "/elsewhere";
    update_file(target, "x");
    REQUIRE(::unlink(f.c_str()) == 0);
    REQUIRE(::symlink(target.c_str(), f.c_str()) == 0);
    update_file(f, "x");
    struct stat lst {};
    REQUIRE(::lstat(f.c_str(), &lst) == 0);
    CHECK(S_ISREG(lst.st_mode));
    CHECK(count_entries(t.path) == 2);
}

namespace {
int g_seen = 0;
int write_and_exit(void* arg) {
    g_seen = *static_cast<int*>(arg); // the parent's memory: CLONE_VM
    return 7;
}
} // namespace

TEST_CASE("ChildStack carries a CLONE_VM child that writes into its parent's memory") {
    ChildStack stack(64 * 1024);
    CHECK(reinterpret_cast<uintptr_t>(stack.top()) % 16 == 0);
    int value = 42;
    g_seen = 0;
    pid_t pid = ::clone(write_and_exit, stack.top(), CLONE_VM | SIGCHLD, &value);
    REQUIRE(pid > 0);
    int st = 0;
    REQUIRE(::waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 7);
    CHECK(g_seen == 42);
}

TEST_CASE("atomic_write_file into a missing directory fails and names it") {
    TempDir t;
    CHECK_THROWS_WITH(atomic_write_file(t.path + "/no/such/file", "x"),
                      Catch::Contains("creating a temporary file beside " + t.path + "/no/such/file"));
}

TEST_CASE("read_file refuses more than the limit") {
    TempDir t;
    atomic_write_file(t.path + "/big", std::string(1000, 'x'));
    CHECK_THROWS_WITH(read_file(t.path + "/big", 10), Catch::Contains("refusing to read more than 10 bytes"));
}

TEST_CASE("read_file_if_present: the content, nullopt for a missing file, other failures throw") {
    TempDir t;
    atomic_write_file(t.path + "/f", "abc");
    CHECK(read_file_if_present(t.path + "/f") == std::optional<std::string>("abc"));
    CHECK_FALSE(read_file_if_present(t.path + "/missing").has_value());
    CHECK_FALSE(read_file_if_present(t.path + "/no/such/dir/f").has_value());
    CHECK_THROWS_WITH(read_file_if_present(t.path + "/f", 2), Catch::Contains("refusing to read more than 2 bytes"));
    CHECK_FALSE(read_file_if_present(t.path + "/f/under-a-file").has_value()); // ENOTDIR
    CHECK_THROWS_WITH(read_file_if_present(t.path), Catch::Contains("reading " + t.path)); // a directory
}

TEST_CASE("make_dirs creates nested directories and refuses a file in the way") {
    TempDir t;
    make_dirs(t.path + "/a/b/c");
    struct stat st {};
    CHECK(::stat((t.path + "/a/b/c").c_str(), &st) == 0);
    make_dirs(t.path + "/a/b/c"); // idempotent
    atomic_write_file(t.path + "/f", "x");
    CHECK_THROWS(make_dirs(t.path + "/f/g"));
}

TEST_CASE("FileLock excludes a second process until released") {
    TempDir t;
    std::string lockpath = t.path + "/store.lock";
    Pipe ready = Pipe::make();
    Pipe release = Pipe::make();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        FileLock held(lockpath);
        char c = 'r';
        ssize_t n = ::write(ready.write.get(), &c, 1);
        n = ::read(release.read.get(), &c, 1); // wait for the parent
        (void)n;
        ::_exit(0);
    }
    char c;
    REQUIRE(::read(ready.read.get(), &c, 1) == 1);
    // The child holds it: a non-blocking attempt fails, shared too.
    CHECK_FALSE(FileLock::try_lock(lockpath).held());
    CHECK_FALSE(FileLock::try_lock(lockpath, FileLock::Mode::shared).held());
    // A blocking lock waits until the child lets go.
    auto start = std::chrono::steady_clock::now();
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        ssize_t n = ::write(release.write.get(), "x", 1);
        (void)n;
    });
    FileLock mine(lockpath);
    auto waited = std::chrono::steady_clock::now() - start;
    releaser.join();
    CHECK(mine.held());
    CHECK(waited >= std::chrono::milliseconds(90));
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
}

TEST_CASE("shared locks coexist; exclusive waits for them") {
    TempDir t;
    std::string lockpath = t.path + "/l";
    FileLock a(lockpath, FileLock::Mode::shared);
    FileLock b = FileLock::try_lock(lockpath, FileLock::Mode::shared);
    CHECK(b.held());
    // flock locks belong to the open file description: a new open conflicts.
    CHECK_FALSE(FileLock::try_lock(lockpath, FileLock::Mode::exclusive).held());
    a.unlock();
    b.unlock();
    CHECK(FileLock::try_lock(lockpath).held());
}

TEST_CASE("a forked child reports its failed step and errno over a pipe") {
    Pipe p = Pipe::make();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        p.read.reset();
        child_report_failure(p.write.get(), "pivot_root", EPERM, "/tmp/rootfs");
        ::_exit(1);
    }
    p.write.reset();
    auto rep = read_child_report(p.read.get());
    ::waitpid(pid, nullptr, 0);
    REQUIRE(rep);
    CHECK(rep->err == EPERM);
    CHECK(rep->describe() == "pivot_root /tmp/rootfs: Operation not permitted");
}

TEST_CASE("a child that execs reports nothing: EOF means success") {
    Pipe p = Pipe::make();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        p.read.reset();
        ::execl("/bin/true", "true", static_cast<char*>(nullptr));
        child_report_failure(p.write.get(), "execve", errno, "/bin/true");
        ::_exit(127);
    }
    p.write.reset();
    CHECK_FALSE(read_child_report(p.read.get()).has_value());
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("ScopeGuard runs unless dismissed") {
    int n = 0;
    {
        ScopeGuard g([&] { ++n; });
    }
    CHECK(n == 1);
    {
        ScopeGuard g([&] { ++n; });
        g.dismiss();
    }
    CHECK(n == 1);
}

TEST_CASE("DynLib names a library that cannot be loaded and what it was for") {
    try {
        skiff::DynLib lib("libskiff-no-such-library.so.7", "testing");
        FAIL("a missing library loaded");
    } catch (const skiff::Error& e) {
        std::string msg = e.what();
        CHECK(msg.find("libskiff-no-such-library.so.7") != std::string::npos);
        CHECK(msg.find("needed for testing") != std::string::npos);
    }
}

TEST_CASE("DynLib binds symbols and refuses missing ones") {
    skiff::DynLib libc("libc.so.6", "testing");
    size_t (*my_strlen)(const char*) = nullptr;
    libc.bind(my_strlen, "strlen");
    REQUIRE(my_strlen != nullptr);
    CHECK(my_strlen("skiff") == 5);
    void (*missing)() = nullptr;
    CHECK_THROWS_WITH(libc.bind(missing, "skiff_no_such_symbol"),
                      Catch::Matchers::Contains("skiff_no_such_symbol") && Catch::Matchers::Contains("libc.so.6"));
}

TEST_CASE("DynLib refuses to load once the process is about to enter a container") {
    // In a child: the flag is process-wide and has no way back.
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        skiff::forbid_library_loading("joining the container's mount namespace");
        try {
            skiff::DynLib lib("libc.so.6", "testing");
        } catch (const skiff::Error& e) {
            std::string msg = e.what();
            _exit(msg.find("refusing to load libc.so.6") != std::string::npos &&
                          msg.find("joining the container's mount namespace") != std::string::npos
                      ? 0
                      : 2);
        }
        _exit(1);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
