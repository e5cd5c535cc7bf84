// -v and --mount parsing, the volume store, and the tree copy used to seed
// volumes (symlinks copied as links, never followed).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/mount_options.hpp"
#include "engine/volume_mounts.hpp"
#include "engine/volume_store.hpp"
#include "storage/tree_copy.hpp"
#include "storage_fixtures.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

using namespace skiff;
using namespace skiff::engine;
using skiff::testing::ScratchDir;

TEST_CASE("parse_volume: binds, named and anonymous volumes, options") {
    auto b = parse_volume("/host/dir:/data:ro,nosuid,z");
    CHECK(b.kind == MountRequest::Kind::bind);
    CHECK(b.source == "/host/dir");
    CHECK(b.target == "/data");
    CHECK(b.readonly);
    CHECK(b.flags == MS_NOSUID);

    auto v = parse_volume("mydata:/var/lib/x:U,nocopy,noexec,rprivate");
    CHECK(v.kind == MountRequest::Kind::volume);
    CHECK(v.source == "mydata");
    CHECK(v.chown);
    CHECK(v.nocopy);
    CHECK(v.flags == MS_NOEXEC);
    CHECK_FALSE(v.readonly);

    auto a = parse_volume("/cache");
    CHECK(a.kind == MountRequest::Kind::volume);
    CHECK(a.source.empty());
    CHECK(a.target == "/cache");

    CHECK_THROWS_AS(parse_volume("./rel:/x"), Error);
    CHECK_THROWS_AS(parse_volume("bad/name:/x"), Error);
    CHECK_THROWS_AS(parse_volume("data:relative"), Error);
    CHECK_THROWS_AS(parse_volume("data:/"), Error);
    CHECK_THROWS_AS(parse_volume("data:/x:bogus"), Error);
    CHECK_THROWS_AS(parse_volume("data:/x:shared"), Error);
    CHECK_THROWS_AS(parse_volume("a:b:c:d"), Error);
}

TEST_CASE("parse_mount: docker's --mount syntax") {
    auto b = parse_mount("type=bind,source=/src,target=/dst,readonly,bind-propagation=rprivate");
    CHECK(b.kind == MountRequest::Kind::bind);
    CHECK(b.must_exist);
    CHECK(b.readonly);
    CHECK(b.source == "/src");
    CHECK(b.target == "/dst");

    auto v = parse_mount("type=volume,src=data,dst=/d,ro=false,volume-nocopy");
    CHECK(v.kind == MountRequest::Kind::volume);
    CHECK(v.source == "data");
    CHECK_FALSE(v.readonly);
    CHECK(v.nocopy);

    auto anon = parse_mount("target=/x");
    CHECK(anon.kind == MountRequest::Kind::volume);
    CHECK(anon.source.empty());

    auto t = parse_mount("type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770");
    CHECK(t.kind == MountRequest::Kind::tmpfs);
    auto tm = parse_tmpfs(t.tmpfs);
    CHECK(tm.target == "/t");
    CHECK(tm.data == "size=1m,mode=1770");

    CHECK_THROWS_AS(parse_mount("type=bind,source=rel,target=/x"), Error);
    CHECK_THROWS_AS(parse_mount("type=bind,source=/a"), Error);
    CHECK_THROWS_AS(parse_mount("type=nfs,target=/x"), Error);
    CHECK_THROWS_AS(parse_mount("type=volume,target=/x,tmpfs-size=1m"), Error);
    CHECK_THROWS_AS(parse_mount("type=tmpfs,target=/x,tmpfs-mode=999"), Error);
    CHECK_THROWS_AS(parse_mount("type=bind,source=/a,target=/x,bind-propagation=rshared"), Error);
    CHECK_THROWS_AS(parse_mount("type=volume,target=/x,colour=blue"), Error);
    CHECK_THROWS_AS(parse_mount("type=volume,target=/x,readonly=maybe"), Error);
}

TEST_CASE("parse_mount_requests: a target twice is an error") {
    CHECK(parse_mount_requests({"a:/x"}, {"type=tmpfs,target=/y"}, {"/z"}).size() == 2);
    CHECK_THROWS_AS(parse_mount_requests({"a:/x", "/h:/x"}, {}, {}), Error);
    CHECK_THROWS_AS(parse_mount_requests({"a:/x"}, {}, {"/x"}), Error);
}

TEST_CASE("volume names") {
    CHECK(valid_volume_name("data"));
    CHECK(valid_volume_name("a.b_c-1"));
    CHECK_FALSE(valid_volume_name(""));
    CHECK_FALSE(valid_volume_name(".."));
    CHECK_FALSE(valid_volume_name("-x"));
    CHECK_FALSE(valid_volume_name("a/b"));
}

TEST_CASE("VolumeStore: create, find, list, remove") {
    ScratchDir dir;
    VolumeStore store(dir.path);
    VolumeRecord r;
    r.name = "data";
    r.labels = {{"k", "v"}};
    auto created = store.create(r);
    CHECK(created.mountpoint == dir.path + "/volumes/data/_data");
    struct stat st {};
    REQUIRE(::stat(created.mountpoint.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    CHECK_THROWS_AS(store.create(r), Error);
    CHECK(store.create(r, true).created_at == created.created_at);

    auto anon = store.create(VolumeRecord{});
    CHECK(anon.anonymous);
    CHECK(anon.name.size() == 64);

    auto found = store.lookup("data");
    CHECK(found.labels.at("k") == "v");
    CHECK_FALSE(found.anonymous);
    CHECK(store.list().size() == 2);
    CHECK_FALSE(store.find("nope"));
    CHECK_FALSE(store.find("../etc"));

    replace_file(created.mountpoint + "/f", "x");
    store.remove("data");
    CHECK_FALSE(store.find("data"));
    CHECK(::stat(store.dir("data").c_str(), &st) < 0);
}

TEST_CASE("copy_tree copies files, dirs and symlinks as links") {
    ScratchDir dir;
    std::string src = dir.path + "/src", dst = dir.path + "/dst", outside = dir.path + "/outside";
    make_dirs(src + "/sub");
    make_dirs(dst);
    make_dirs(outside);
    replace_file(src + "/sub/file", "hello", 0640);
    REQUIRE(::symlink("/", (src + "/root").c_str()) == 0);
    REQUIRE(::symlink("../../outside", (src + "/sub/up").c_str()) == 0);
    ::chmod((src + "/sub").c_str(), 0750);
    {
        UniqueFd s = open_fd(src, O_RDONLY | O_DIRECTORY);
        UniqueFd d = open_fd(dst, O_RDONLY | O_DIRECTORY);
        storage::copy_tree(s.get(), d.get());
    }
    CHECK(read_file(dst + "/sub/file") == "hello");
    struct stat st {};
    REQUIRE(::stat((dst + "/sub/file").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
    REQUIRE(::stat((dst + "/sub").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0750);
    REQUIRE(::lstat((dst + "/root").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    char buf[64] = {};
    REQUIRE(::readlink((dst + "/sub/up").c_str(), buf, sizeof buf - 1) > 0);
    CHECK(std::string(buf) == "../../outside");
}
