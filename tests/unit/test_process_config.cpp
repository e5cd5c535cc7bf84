// Docker's rules for command, environment and user.
#include <catch2/catch.hpp>

#include "engine/process_config.hpp"
#include "util/error.hpp"

using namespace skiff::engine;
using V = std::vector<std::string>;

TEST_CASE("command: ENTRYPOINT + CMD, args replace CMD, --entrypoint clears CMD") {
    CHECK(build_command({"/ep"}, {"a", "b"}, std::nullopt, {}) == V{"/ep", "a", "b"});
    CHECK(build_command({"/ep"}, {"a"}, std::nullopt, {"x"}) == V{"/ep", "x"});
    CHECK(build_command({}, {"sh"}, std::nullopt, {"ls", "-l"}) == V{"ls", "-l"});
    CHECK(build_command({"/ep"}, {"a"}, std::string("/other"), {}) == V{"/other"});
    CHECK(build_command({"/ep"}, {"a"}, std::string("/other"), {"y"}) == V{"/other", "y"});
    CHECK(build_command({"/ep"}, {"a"}, std::string(""), {"ls"}) == V{"ls"});
    CHECK(build_command({}, {}, std::nullopt, {}).empty());
}

namespace {
std::optional<std::string> fake_lookup(const std::string& k) {
    if (k == "FROM_HOST") return std::string("hostval");
    return std::nullopt;
}
} // namespace

TEST_CASE("env file: comments, blanks, bare keys from the host, bad lines named") {
    auto env = parse_env_file("# c\n\nA=1\nB = two words \nFROM_HOST\nMISSING\nC=x=y\n", "f.env", fake_lookup);
    CHECK(env == V{"A=1", "B= two words", "FROM_HOST=hostval", "C=x=y"});
    CHECK_THROWS_WITH(parse_env_file("A=1\nBAD KEY=2\n", "f.env", fake_lookup),
                      Catch::StartsWith("f.env:2: invalid environment variable"));
}

TEST_CASE("env merge: image, defaults, overrides; later wins") {
    auto env = merge_env({"PATH=/bin", "A=img"}, {"A=cli", "B=2", "B=3"}, "h1", true);
    CHECK(env == V{"PATH=/bin", "A=cli", "TERM=xterm", "container=skiff", "HOSTNAME=h1", "B=3"});
    auto env2 = merge_env({}, {}, "", false);
    CHECK(env2 == V{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "container=skiff"});
}

TEST_CASE("user resolution against passwd and group") {
    const char* passwd = "root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000::/home/tester:/bin/sh\n"
                         "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
    const char* group = "root:x:0:\nwheel:x:10:tester,other\ntester:x:1000:\naudio:x:29:tester\n";
    auto r = resolve_user("", passwd, group);
    CHECK(r.uid == 0);
    CHECK(r.gid == 0);
    r = resolve_user("tester", passwd, group);
    CHECK(r.uid == 1000);
    CHECK(r.gid == 1000);
    CHECK(r.home == "/home/tester");
    CHECK(r.additional_gids == std::vector<uint32_t>{10, 29});
    r = resolve_user("1000", passwd, group);
    CHECK(r.uid == 1000);
    CHECK(r.gid == 1000);
    r = resolve_user("4242", passwd, group);
    CHECK(r.uid == 4242);
    CHECK(r.gid == 0);
    r = resolve_user("nobody:wheel", passwd, group);
    CHECK(r.uid == 65534);
    CHECK(r.gid == 10);
    r = resolve_user("5:7", "", "");
    CHECK(r.uid == 5);
    CHECK(r.gid == 7);
    CHECK_THROWS_WITH(resolve_user("ghost", passwd, group), Catch::Contains("unable to find user ghost"));
    CHECK_THROWS_WITH(resolve_user("tester:ghosts", passwd, group), Catch::Contains("unable to find group ghosts"));
}
