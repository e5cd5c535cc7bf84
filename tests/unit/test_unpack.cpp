// Layer unpack: normal content, hostile archives, whiteouts in both modes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/digest.hpp"
#include "storage/layer_unpack.hpp"
#include "storage_fixtures.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

using namespace skiff;
using namespace skiff::storage;
using skiff::testing::Compression;
using skiff::testing::ScratchDir;
using skiff::testing::TarBuilder;

namespace {

// Feeds the tar through the read callback in small, odd-sized chunks, the
// way a download would.
UnpackResult unpack_bytes(const std::string& tar, int dirfd, const UnpackOptions& opts = {}, size_t chunk = 777) {
    size_t pos = 0;
    LayerReadFn read = [&](char* buf, size_t len) -> size_t {
        size_t n = std::min({len, chunk, tar.size() - pos});
        std::memcpy(buf, tar.data() + pos, n);
        pos += n;
        return n;
    };
    return unpack_layer(read, dirfd, opts);
}

struct Sandbox {
    ScratchDir base{"skiff-unpack"};
    std::string root = base / "root";
    std::string canary = base / "canary";
    UniqueFd rootfd;
    Sandbox() {
        ::mkdir(root.c_str(), 0755);
        ::mkdir(canary.c_str(), 0755);
        write_all(open_fd(canary + "/secret", O_WRONLY | O_CREAT, 0644).get(), std::string("untouched"));
        rootfd = open_fd(root, O_RDONLY | O_DIRECTORY);
    }
    // Nothing appeared beside root, and the canary is as it was.
    void check_nothing_escaped() const {
        struct stat st {};
        REQUIRE(::lstat((canary + "/secret").c_str(), &st) == 0);
        CHECK(st.st_nlink == 1);
        CHECK(read_file(canary + "/secret") == "untouched");
        CHECK(entries(canary) == 1);
        CHECK(entries(base.path) == 2);
    }
    static int entries(const std::string& dir) {
        int n = 0;
        DIR* d = ::opendir(dir.c_str());
        REQUIRE(d != nullptr);
        while (dirent* e = ::readdir(d))
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) ++n;
        ::closedir(d);
        return n;
    }
    bool exists(const std::string& rel) const {
        struct stat st {};
        return ::lstat((root + "/" + rel).c_str(), &st) == 0;
    }
    struct stat stat_of(const std::string& rel) const {
        struct stat st {};
        REQUIRE(::lstat((root + "/" + rel).c_str(), &st) == 0);
        return st;
    }
};

bool is_overlay_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

} // namespace

TEST_CASE("clean_entry_path normalises and refuses escapes", "[unpack]") {
    CHECK(clean_entry_path("./a/b/") == "a/b");
    CHECK(clean_entry_path("/abs//path/./x") == "abs/path/x");
    CHECK(clean_entry_path("a/../b") == "b");
    CHECK(clean_entry_path("./") == "");
    CHECK_THROWS_WITH(clean_entry_path("../../etc/x"), Catch::Contains("escapes"));
    CHECK_THROWS(clean_entry_path("a/../../x"));
}

TEST_CASE("unpack restores files, modes, owners, links, times, xattrs", "[unpack]") {
    Sandbox sb;
    TarBuilder t;
    t.dir("./", {0755, 0, 0, 1600000000})
        .dir("bin", {0555, 0, 0, 1600000001})
        .file("bin/su", "#!/bin/sh\n", {04755, 1000, 1001, 1600000002}, "user.note", "hi")
        .file("bin/sgid", "x", {02711, 0, 0, 1600000003})
        .dir("tmp", {01777, 0, 0, 1600000004})
        .symlink("bin/sh", "/bin/su")
        .hardlink("bin/su2", "bin/su")
        .special("run.fifo", AE_IFIFO)
        .special("null", AE_IFCHR, 1, 3);
    auto tar = t.finish();
    auto r = unpack_bytes(tar, sb.rootfd.get());

    CHECK(r.entries == 9);
    CHECK(r.bytes == 11);
    CHECK(r.diff_id == Digest::sha256_of(tar).str());
    CHECK(r.tar_bytes == tar.size());

    auto su = sb.stat_of("bin/su");
    CHECK((su.st_mode & 07777) == 04755); // setuid survived the chown
    CHECK(su.st_mtime == 1600000002);
    CHECK(read_file(sb.root + "/bin/su") == "#!/bin/sh\n");
    CHECK((sb.stat_of("bin/sgid").st_mode & 07777) == 02711);
    CHECK((sb.stat_of("tmp").st_mode & 07777) == 01777);
    CHECK((sb.stat_of("bin").st_mode & 07777) == 0555); // fixed up after its children
    CHECK(sb.stat_of("bin").st_mtime == 1600000001);
    CHECK(S_ISFIFO(sb.stat_of("run.fifo").st_mode));
    auto su2 = sb.stat_of("bin/su2");
    CHECK(su2.st_ino == su.st_ino);
    char target[64] = {};
    REQUIRE(::readlink((sb.root + "/bin/sh").c_str(), target, sizeof target - 1) > 0);
    CHECK(std::string(target) == "/bin/su");
    char val[8] = {};
    CHECK(::getxattr((sb.root + "/bin/su").c_str(), "user.note", val, sizeof val) == 2);
    CHECK(std::string(val) == "hi");

    if (::geteuid() == 0) {
        CHECK(su.st_uid == 1000);
        CHECK(su.st_gid == 1001);
        CHECK(r.chown_failures == 0);
        auto null = sb.stat_of("null");
        CHECK(S_ISCHR(null.st_mode));
        CHECK(null.st_rdev == makedev(1, 3));
        CHECK(r.devices_skipped == 0);
    }
    sb.check_nothing_escaped();
}

TEST_CASE("unpack detects gzip and zstd and hashes the uncompressed stream", "[unpack]") {
    auto build = [](Compression c) {
        TarBuilder t(c);
        t.dir("d").file("d/f", std::string(100000, 'z'));
        return t.finish();
    };
    std::string plain = build(Compression::none);
    for (auto c : {Compression::gzip, Compression::zstd}) {
        Sandbox sb;
        std::string packed = build(c);
        REQUIRE(packed.size() < plain.size() / 10);
        auto r = unpack_bytes(packed, sb.rootfd.get());
        CHECK(r.diff_id == Digest::sha256_of(plain).str());
        CHECK(read_file(sb.root + "/d/f").size() == 100000);
    }
}

TEST_CASE("unpack reads from an fd", "[unpack]") {
    Sandbox sb;
    TarBuilder t(Compression::gzip);
    t.file("hello", "world");
    auto tar = t.finish();
    UniqueFd mfd(::memfd_create("layer", MFD_CLOEXEC));
    write_all(mfd.get(), tar);
    REQUIRE(::lseek(mfd.get(), 0, SEEK_SET) == 0);
    auto r = unpack_layer(mfd.get(), sb.rootfd.get());
    CHECK(r.entries == 1);
    CHECK(read_file(sb.root + "/hello") == "world");
}

TEST_CASE("errors from the read callback and corrupt streams surface", "[unpack]") {
    Sandbox sb;
    LayerReadFn failing = [](char*, size_t) -> size_t { throw Error("connection reset", ECONNRESET); };
    CHECK_THROWS_WITH(unpack_layer(failing, sb.rootfd.get()), Catch::Contains("connection reset"));

    TarBuilder t(Compression::gzip);
    t.file("f", std::string(50000, 'q'));
    auto tar = t.finish();
    tar.resize(tar.size() / 2); // truncated download
    CHECK_THROWS_AS(unpack_bytes(tar, sb.rootfd.get()), Error);
    sb.check_nothing_escaped();
}

TEST_CASE("hostile archives are refused or contained", "[unpack][security]") {
    Sandbox sb;
    const std::string canary_abs = sb.canary; // absolute path outside the root

    SECTION("dot-dot escape is refused, naming the entry") {
        TarBuilder t;
        t.file("../../etc/x", "pwned").file("a/../../x", "pwned");
        CHECK_THROWS_WITH(unpack_bytes(t.finish(), sb.rootfd.get()), Catch::Contains("../../etc/x"));
    }
    SECTION("absolute paths land inside the root") {
        TarBuilder t;
        t.file(canary_abs + "/pwned", "pwned");
        unpack_bytes(t.finish(), sb.rootfd.get());
        CHECK(sb.exists(canary_abs.substr(1) + "/pwned"));
    }
    SECTION("symlink to / then a write through it stays inside") {
        TarBuilder t;
        t.symlink("evil", "/").file("evil" + canary_abs + "/pwned", "pwned");
        unpack_bytes(t.finish(), sb.rootfd.get());
        CHECK(sb.exists(canary_abs.substr(1) + "/pwned"));
    }
    SECTION("symlink climbing with ../../.. then a write through it stays inside") {
        TarBuilder t;
        t.symlink("up", "../../..").file("up" + canary_abs + "/pwned", "pwned");
        unpack_bytes(t.finish(), sb.rootfd.get());
        CHECK(sb.exists(canary_abs.substr(1) + "/pwned"));
    }
    SECTION("symlink to an outside dir, then a file through it, is refused") {
        TarBuilder t;
        t.symlink("link", canary_abs).file("link/pwned", "pwned");
        CHECK_THROWS_WITH(unpack_bytes(t.finish(), sb.rootfd.get()), Catch::Contains("link/pwned"));
    }
    SECTION("relative symlink to an outside dir resolves to the root's own copy") {
        TarBuilder t;
        t.dir("canary").symlink("link", "../canary").file("link/pwned", "pwned");
        unpack_bytes(t.finish(), sb.rootfd.get());
        CHECK(sb.exists("canary/pwned"));
    }
    SECTION("a symlink as the last component is replaced, not written through") {
        TarBuilder t;
        t.symlink("secret", canary_abs + "/secret").file("secret", "pwned");
        unpack_bytes(t.finish(), sb.rootfd.get());
        CHECK(S_ISREG(sb.stat_of("secret").st_mode));
        CHECK(read_file(sb.root + "/secret") == "pwned");
    }
    SECTION("hardlink escaping with .. is refused") {
        TarBuilder t;
        t.hardlink("h", "../../outside");
        CHECK_THROWS_WITH(unpack_bytes(t.finish(), sb.rootfd.get()), Catch::Contains("'h'"));
    }
    SECTION("hardlink to an absolute outside path never links the outside inode") {
        TarBuilder t;
        t.hardlink("h", canary_abs + "/secret");
        CHECK_THROWS(unpack_bytes(t.finish(), sb.rootfd.get()));
    }
    SECTION("hardlink through a symlink to outside never links the outside inode") {
        TarBuilder t;
        t.symlink("evil", canary_abs).hardlink("h", "evil/secret");
        CHECK_THROWS(unpack_bytes(t.finish(), sb.rootfd.get()));
    }
    SECTION("a whiteout named .. is refused") {
        TarBuilder t;
        t.dir("a").file("a/.wh...", "");
        UnpackOptions o;
        o.whiteouts = WhiteoutMode::flatten;
        CHECK_THROWS_WITH(unpack_bytes(t.finish(), sb.rootfd.get(), o), Catch::Contains("malformed whiteout"));
    }
    sb.check_nothing_escaped();
}

TEST_CASE("overlay-format whiteouts and opaque dirs", "[unpack][whiteout]") {
    Sandbox sb;
    TarBuilder t;
    t.dir("a").file("a/.wh.b", "").file(".wh.c", "").dir("a/d").file("a/d/.wh..wh..opq", "").file("a/d/e", "e")
        .file("a/kept", "k").file("a/.wh.kept", ""); // same-layer file survives its whiteout
    auto tar = t.finish();

    for (auto kind : {OpaqueXattr::trusted, OpaqueXattr::user}) {
        if (kind == OpaqueXattr::trusted && ::geteuid() != 0) continue;
        Sandbox s2;
        UnpackOptions o;
        o.opaque_xattr = kind;
        auto r = unpack_bytes(tar, s2.rootfd.get(), o);
        CHECK(r.whiteouts == 3);
        CHECK(r.opaque_dirs == 1);
        const char* name = kind == OpaqueXattr::user ? "user.overlay.opaque" : "trusted.overlay.opaque";
        char v[4] = {};
        CHECK(::getxattr((s2.root + "/a/d").c_str(), name, v, sizeof v) == 1);
        CHECK(v[0] == 'y');
        CHECK(read_file(s2.root + "/a/d/e") == "e");
        CHECK(read_file(s2.root + "/a/kept") == "k");
        CHECK_FALSE(s2.exists("a/.wh.b"));
        if (::geteuid() == 0) { // mknod c 0 0 needs root (or a userns)
            CHECK(is_overlay_whiteout(s2.stat_of("a/b")));
            CHECK(is_overlay_whiteout(s2.stat_of("c")));
        }
        s2.check_nothing_escaped();
    }
}

TEST_CASE("flatten mode applies whiteouts by deleting", "[unpack][whiteout]") {
    Sandbox sb;
    UnpackOptions o;
    o.whiteouts = WhiteoutMode::flatten;
    TarBuilder l1;
    l1.dir("a").file("a/b", "b").dir("a/bdir").file("a/bdir/x", "x").dir("a/d").file("a/d/old", "old")
        .dir("a/d/sub").file("a/d/sub/old2", "o").file("c", "c").file("keep", "keep");
    unpack_bytes(l1.finish(), sb.rootfd.get(), o);
    REQUIRE(sb.exists("a/d/old"));

    TarBuilder l2;
    l2.file("a/.wh.b", "").file("a/.wh.bdir", "").file(".wh.c", "")
        .dir("a/d").dir("a/d/sub").file("a/d/sub/new2", "n") // written before the opaque marker
        .file("a/d/.wh..wh..opq", "").file("a/d/new", "new")
        .file("fresh", "f").file(".wh.fresh", "");           // same-layer: survives
    auto r = unpack_bytes(l2.finish(), sb.rootfd.get(), o);
    CHECK(r.whiteouts == 4);
    CHECK_FALSE(sb.exists("a/b"));
    CHECK_FALSE(sb.exists("a/bdir"));
    CHECK_FALSE(sb.exists("c"));
    CHECK_FALSE(sb.exists("a/d/old"));
    CHECK_FALSE(sb.exists("a/d/sub/old2"));
    CHECK(sb.exists("a/d/sub/new2"));
    CHECK(sb.exists("a/d/new"));
    CHECK(sb.exists("keep"));
    CHECK(sb.exists("fresh"));
    CHECK_FALSE(sb.exists("a/.wh.b"));
    CHECK_FALSE(sb.exists("a/d/.wh..wh..opq"));
    sb.check_nothing_escaped();
}

TEST_CASE("a later entry replaces an earlier one of another type", "[unpack]") {
    Sandbox sb;
    TarBuilder t;
    t.dir("x").file("x/inner", "i").file("x", "now a file").symlink("y", "x").dir("y");
    unpack_bytes(t.finish(), sb.rootfd.get());
    CHECK(read_file(sb.root + "/x") == "now a file");
    CHECK(S_ISDIR(sb.stat_of("y").st_mode));
}

TEST_CASE("unpack runs in a forked helper that _exits", "[unpack]") {
    Sandbox sb;
    TarBuilder t;
    t.file("from-child", "ok");
    auto tar = t.finish();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int code = 0;
        try {
            unpack_bytes(tar, sb.rootfd.get());
        } catch (...) {
            code = 1;
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(read_file(sb.root + "/from-child") == "ok");
}
