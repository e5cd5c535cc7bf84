// runtime/idmap: /etc/subuid parsing and the container ID mapping built from it.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <linux/capability.h>
#include <sys/stat.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "runtime/idmap.hpp"
#include "util/error.hpp"

using namespace skiff;
using namespace skiff::runtime;

namespace {
using Ranges = std::vector<IdRange>;
} // namespace

TEST_CASE("subuid: entries are found by user name or by numeric uid", "[idmap]") {
    struct Case {
        const char* what;
        const char* text;
        const char* user;
        uint32_t uid;
        Ranges want;
    };
    const std::vector<Case> cases = {
        {"by name", "alice:100000:65536\n", "alice", 1000, {{100000, 65536}}},
        {"by uid", "1000:200000:65536\n", "alice", 1000, {{200000, 65536}}},
        {"by uid without a passwd name", "1000:200000:65536\n", "", 1000, {{200000, 65536}}},
        {"other users ignored", "bob:100000:65536\nalice:165536:65536\ncarol:231072:65536\n", "alice", 1000,
         {{165536, 65536}}},
        {"another uid ignored", "1001:100000:65536\n", "alice", 1000, {}},
        {"name is not a prefix match", "alice2:100000:65536\nali:1:2\n", "alice", 1000, {}},
        {"several ranges in file order", "alice:300000:1000\nbob:1:2\nalice:100000:65536\n1000:500000:10\n", "alice",
         1000, {{300000, 1000}, {100000, 65536}, {500000, 10}}},
        {"no trailing newline", "alice:100000:65536", "alice", 1000, {{100000, 65536}}},
        {"CRLF and surrounding blanks", "  alice:100000:65536 \r\n", "alice", 1000, {{100000, 65536}}},
        {"comments and blank lines", "# users\n\n   \nalice:100000:65536\n#alice:1:1\n", "alice", 1000,
         {{100000, 65536}}},
        {"empty file", "", "alice", 1000, {}},
        {"exact duplicate (by name and by uid) kept once", "alice:100000:65536\n1000:100000:65536\n", "alice", 1000,
         {{100000, 65536}}},
        {"overlapping range dropped", "alice:100000:65536\nalice:150000:65536\nalice:165536:5\n", "alice", 1000,
         {{100000, 65536}, {165536, 5}}},
        {"largest valid range", "alice:4294967294:1\n", "alice", 1000, {{4294967294u, 1}}},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        CHECK(parse_subordinate_ranges(c.text, c.user, c.uid) == c.want);
    }
}

TEST_CASE("subuid: malformed lines are skipped, good lines around them still count", "[idmap]") {
    const char* bad[] = {
        "alice:100000",          // two fields
        "alice:100000:65536:1",  // four fields
        "alice",                 // no colon
        "alice::65536",          // empty start
        "alice:100000:",         // empty count
        "alice:abc:65536",       // non-numeric start
        "alice:100000:6x",       // trailing garbage
        "alice:-1:65536",        // negative
        "alice:+5:65536",        // sign
        "alice:100000:0",        // empty range
        "alice:4294967295:1",    // (uid_t)-1 is not an ID
        "alice:4294967000:1000", // runs past 2^32-1
        "alice:99999999999:1",   // does not fit 32 bits
        ":100000:65536",         // no owner
    };
    for (const char* line : bad) {
        INFO(line);
        std::string text = std::string("alice:1:1\n") + line + "\nalice:500000:65536\n";
        CHECK(parse_subordinate_ranges(text, "alice", 1000) == Ranges{{1, 1}, {500000, 65536}});
        CHECK(parse_subordinate_ranges(line, "alice", 1000).empty());
    }
}

TEST_CASE("subuid: reading the file", "[idmap]") {
    char dir[] = "/tmp/skiff-unit-idmap-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    std::string path = std::string(dir) + "/subuid";
    {
        std::ofstream f(path);
        f << "root:10:5\nalice:100000:65536\n";
    }
    CHECK(subordinate_ranges(path, "alice", 1000) == Ranges{{100000, 65536}});
    CHECK(subordinate_ranges(path, "nobody", 65534).empty());
    CHECK(subordinate_ranges(std::string(dir) + "/missing", "alice", 1000).empty());
    // A directory is not a file: an error, not "no ranges".
    CHECK_THROWS_AS(subordinate_ranges(dir, "alice", 1000), Error);
    ::unlink(path.c_str());
    ::rmdir(dir);
}

TEST_CASE("idmap: total_ids sums and saturates", "[idmap]") {
    CHECK(total_ids({}) == 0);
    CHECK(total_ids({{100000, 65536}, {300000, 10}}) == 65546);
    CHECK(total_ids({{0, 4000000000u}, {0, 4000000000u}}) == 4294967295u);
}

TEST_CASE("idmap: container mapping is user at 0, then the ranges from 1", "[idmap]") {
    using M = std::vector<IdMapping>;
    CHECK(container_id_mappings(1000, {}) == M{{0, 1000, 1}});
    CHECK(container_id_mappings(1000, {{100000, 65536}}) == M{{0, 1000, 1}, {1, 100000, 65536}});
    CHECK(container_id_mappings(1000, {{100000, 65536}, {300000, 10}}) ==
          M{{0, 1000, 1}, {1, 100000, 65536}, {65537, 300000, 10}});
    // A range containing the user's own ID is split around it.
    CHECK(container_id_mappings(1000, {{990, 20}}) == M{{0, 1000, 1}, {1, 990, 10}, {11, 1001, 9}});
    CHECK(container_id_mappings(1000, {{1000, 5}}) == M{{0, 1000, 1}, {1, 1001, 4}});
    CHECK(container_id_mappings(1000, {{1000, 1}}) == M{{0, 1000, 1}});
    // Container IDs stop below 2^32-1.
    auto big = container_id_mappings(1000, {{0, 900}, {2000, 3000000000u}, {2000, 3000000000u}});
    REQUIRE(big.size() == 4);
    CHECK(uint64_t{big[3].container_id} + big[3].size == 4294967295u);
    // The kernel takes at most 340 lines.
    std::vector<IdRange> many;
    for (uint32_t i = 0; i < 400; ++i) many.push_back({100000 + i * 10, 5});
    CHECK(container_id_mappings(1000, many).size() == kMaxIdMapLines);
}

TEST_CASE("idmap: uid_map text and helper argv", "[idmap]") {
    std::vector<IdMapping> m{{0, 1000, 1}, {1, 100000, 65536}};
    CHECK(format_id_map(m) == "0 1000 1\n1 100000 65536\n");
    CHECK(format_id_map({}).empty());
    CHECK(id_map_helper_argv("/usr/bin/newuidmap", 42, m) ==
          std::vector<std::string>{"/usr/bin/newuidmap", "42", "0", "1000", "1", "1", "100000", "65536"});
}

TEST_CASE("idmap: helper lookup reports missing and unprivileged helpers", "[idmap]") {
    char dir[] = "/tmp/skiff-unit-idhelper-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    std::string d = dir;

    IdMapHelper none = find_id_map_helper("skiff-no-such-helper", d, CAP_SETUID);
    CHECK(none.path.empty());
    CHECK_FALSE(none.usable);
    CHECK(none.detail.find("not found") != std::string::npos);

    // An ordinary executable found first in the search path: found, not usable.
    std::string plain = d + "/skiff-fake-newuidmap";
    {
        std::ofstream f(plain);
        f << "#!/bin/sh\n";
    }
    REQUIRE(::chmod(plain.c_str(), 0755) == 0);
    IdMapHelper h = find_id_map_helper("skiff-fake-newuidmap", "relative/dir:" + d, CAP_SETUID);
    CHECK(h.path == plain);
    CHECK_FALSE(h.usable);
    CHECK_FALSE(h.detail.empty());
    ::unlink(plain.c_str());
    ::rmdir(dir);
}

TEST_CASE("parse_id_map reads /proc/PID/uid_map's columns") {
    auto m = parse_id_map("         0       1001          1\n         1     100000      65536\n");
    REQUIRE(m);
    CHECK(*m == std::vector<IdMapping>{{0, 1001, 1}, {1, 100000, 65536}});
    CHECK(parse_id_map("")->empty());
    CHECK(*parse_id_map("0 0 4294967295") == std::vector<IdMapping>{{0, 0, 4294967295u}});
    CHECK_FALSE(parse_id_map("0 1001\n"));
    CHECK_FALSE(parse_id_map("0 1001 1 5\n"));
    CHECK_FALSE(parse_id_map("0 x 1\n"));
    CHECK_FALSE(parse_id_map("0 4294967296 1\n"));
}
