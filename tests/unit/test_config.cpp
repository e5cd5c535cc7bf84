// config.yaml parsing: defaults, every key, and errors that name file:line:key.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "config/config.hpp"
#include "config/paths.hpp"
#include "util/error.hpp"

using namespace skiff;

TEST_CASE("an empty config gives the defaults") {
    Config c = Config::parse("", "cfg.yaml");
    CHECK(c.storage_driver == "auto");
    CHECK(c.network == "auto");
    CHECK(c.pull_policy == "missing");
    CHECK(c.registries.unqualified_search == std::vector<std::string>{"docker.io"});
}

TEST_CASE("every key is read") {
    Config c = Config::parse(R"(
storage:
  driver: vfs
network:
  default: none
log-level: debug
pull: never
registries:
  unqualified-search: [quay.io, docker.io]
  insecure: ["127.0.0.1:5000"]
  aliases:
    deb: docker.io/library/debian
  mirrors:
    docker.io: [mirror.local:5000]
)",
                             "cfg.yaml");
    CHECK(c.storage_driver == "vfs");
    CHECK(c.network == "none");
    CHECK(c.log_level == "debug");
    CHECK(c.pull_policy == "never");
    CHECK(c.registries.unqualified_search == std::vector<std::string>{"quay.io", "docker.io"});
    CHECK(c.registries.insecure == std::vector<std::string>{"127.0.0.1:5000"});
    CHECK(c.registries.aliases.at("deb") == "docker.io/library/debian");
    CHECK(c.registries.mirrors.at("docker.io") == std::vector<std::string>{"mirror.local:5000"});
}

TEST_CASE("a typo in a key names the file, the line and the key") {
    CHECK_THROWS_WITH(Config::parse("storage:\n  drivr: vfs\n", "/etc/skiff/config.yaml"),
                      Catch::StartsWith("/etc/skiff/config.yaml:2: key 'storage.drivr': unknown key"));
}

TEST_CASE("a wrong type names the key") {
    CHECK_THROWS_WITH(Config::parse("registries:\n  insecure: yes-please\n", "c.yaml"),
                      Catch::StartsWith("c.yaml:2: key 'registries.insecure': expected a list of strings"));
    CHECK_THROWS_WITH(Config::parse("storage: vfs\n", "c.yaml"),
                      Catch::StartsWith("c.yaml:1: key 'storage': expected a mapping"));
}

TEST_CASE("a value outside the allowed set lists the allowed ones") {
    CHECK_THROWS_WITH(Config::parse("storage:\n  driver: btrfs\n", "c.yaml"),
                      Catch::Contains("'btrfs' is not one of: auto, fuse-overlayfs, overlay, vfs"));
}

TEST_CASE("broken YAML is reported with its line") {
    CHECK_THROWS_WITH(Config::parse("storage:\n  driver: [vfs\n", "c.yaml"), Catch::StartsWith("c.yaml:"));
}

TEST_CASE("a missing config file gives the defaults") {
    Config c = Config::load("/nonexistent/skiff/config.yaml");
    CHECK(c.storage_driver == "auto");
}

TEST_CASE("paths honour XDG variables and overrides") {
    if (::geteuid() == 0) {
        Paths p = Paths::resolve({});
        CHECK(p.root == "/var/lib/skiff");
        CHECK(p.runroot == "/run/skiff");
        CHECK(p.config_file == "/etc/skiff/config.yaml");
    }
    Paths o = Paths::resolve({"/r", "/rr", "/c.yaml"});
    CHECK(o.root == "/r");
    CHECK(o.runroot == "/rr");
    CHECK(o.config_file == "/c.yaml");
}
