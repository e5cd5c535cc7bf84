#include <catch2/catch.hpp>

#include "image/reference.hpp"
#include "util/error.hpp"

using skiff::Reference;

namespace {

struct Case {
    const char* input;
    const char* registry;
    const char* repository;
    const char* tag;
    const char* digest;
    const char* familiar;
};

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string error_of(const std::string& input) {
    try {
        Reference::parse(input);
    } catch (const skiff::Error& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("reference normalisation follows docker", "[reference]") {
    const std::string d = "sha256:" + kHex;
    const Case cases[] = {
        {"busybox", "docker.io", "library/busybox", "latest", "", "busybox:latest"},
        {"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "busybox:1.36"},
        {"user/app", "docker.io", "user/app", "latest", "", "user/app:latest"},
        {"docker.io/busybox", "docker.io", "library/busybox", "latest", "", "busybox:latest"},
        {"index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", "", "busybox:latest"},
        {"docker.io/library/busybox:musl", "docker.io", "library/busybox", "musl", "", "busybox:musl"},
        {"quay.io/podman/stable:v4", "quay.io", "podman/stable", "v4", "", "quay.io/podman/stable:v4"},
        {"host:5000/ns/app:tag", "host:5000", "ns/app", "tag", "", "host:5000/ns/app:tag"},
        {"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest"},
        {"localhost:5000/app:1", "localhost:5000", "app", "1", "", "localhost:5000/app:1"},
        {"127.0.0.1:5000/x:1", "127.0.0.1:5000", "x", "1", "", "127.0.0.1:5000/x:1"},
        {"[::1]:5000/x", "[::1]:5000", "x", "latest", "", "[::1]:5000/x:latest"},
        {"localhost:5000", "docker.io", "library/localhost", "5000", "", "localhost:5000"},
        {"a/b/c/d", "docker.io", "a/b/c/d", "latest", "", "a/b/c/d:latest"},
        {"my-registry.example.com/a_b/c__d/e--f.g", "my-registry.example.com", "a_b/c__d/e--f.g", "latest", "",
         "my-registry.example.com/a_b/c__d/e--f.g:latest"},
        {"Example.COM/app", "Example.COM", "app", "latest", "", "Example.COM/app:latest"},
        {"app:Tag_1.0-rc", "docker.io", "library/app", "Tag_1.0-rc", "", "app:Tag_1.0-rc"},
    };
    for (const auto& c : cases) {
        INFO(c.input);
        Reference r = Reference::parse(c.input);
        CHECK(r.registry == c.registry);
        CHECK(r.repository == c.repository);
        CHECK(r.tag == c.tag);
        CHECK(r.digest == c.digest);
        CHECK(r.familiar() == c.familiar);
    }
}

TEST_CASE("references with digests", "[reference]") {
    const std::string d = "sha256:" + kHex;
    Reference r = Reference::parse("app@" + d);
    CHECK(r.str() == "docker.io/library/app@" + d);
    CHECK(r.tag.empty());
    CHECK(r.tag_or_digest() == d);
    CHECK(r.familiar() == "app@" + d);

    Reference both = Reference::parse("quay.io/x/app:1@" + d);
    CHECK(both.tag == "1");
    CHECK(both.digest == d);
    CHECK(both.tag_or_digest() == d);
    CHECK(both.str() == "quay.io/x/app:1@" + d);
    CHECK(both.familiar_name() == "quay.io/x/app");
}

TEST_CASE("str round-trips", "[reference]") {
    for (const char* in : {"busybox", "localhost:5000/a/b:c", "quay.io/x/y:z"}) {
        Reference r = Reference::parse(in);
        CHECK(Reference::parse(r.str()) == r);
        CHECK(Reference::parse(r.familiar()) == r);
    }
}

TEST_CASE("invalid references say why", "[reference]") {
    struct Bad {
        std::string input;
        std::string message;
    };
    const Bad cases[] = {
        {"Busybox", "invalid reference 'Busybox': repository name must be lowercase"},
        {"user/App", "invalid reference 'user/App': repository name must be lowercase"},
        {"quay.io/User/app", "repository name must be lowercase"},
        {"", "the reference is empty"},
        {":tag", "the repository name is empty"},
        {"app:", "invalid tag ''"},
        {"app:-x", "invalid tag '-x'"},
        {"app:" + std::string(129, 'a'), "invalid tag"},
        {"app@sha256:abc", "invalid digest 'sha256:abc'"},
        {"app@sha256:" + std::string(64, 'A'), "must be lowercase hexadecimal"},
        {"app@md5:" + kHex, "unsupported digest algorithm 'md5'"},
        {"app@", "invalid digest ''"},
        {"a//b", "empty path component"},
        {"-app", "invalid repository name component '-app'"},
        {"app_", "invalid repository name component 'app_'"},
        {"a___b", "invalid repository name component 'a___b'"},
        {"ho_st.io/app", "invalid registry host 'ho_st.io'"},
        {"host:port/app", "invalid registry host 'host:port'"},
        {kHex, "cannot specify 64-byte hexadecimal strings"},
        {"x/" + std::string(260, 'a'), "must not be more than 255 characters"},
        {"a b", "invalid repository name component 'a b'"},
    };
    for (const auto& c : cases) {
        INFO(c.input);
        std::string msg = error_of(c.input);
        CHECK_THAT(msg, Catch::Contains(c.message));
        CHECK_THAT(msg, Catch::StartsWith("invalid reference '"));
    }
}

TEST_CASE("a default registry other than docker.io adds no library/", "[reference]") {
    Reference r = Reference::parse("busybox", "quay.io");
    CHECK(r.str() == "quay.io/busybox:latest");
    CHECK(Reference::parse("busybox", "quay.io").familiar() == "quay.io/busybox:latest");
}

TEST_CASE("fully qualified detection", "[reference]") {
    CHECK_FALSE(skiff::is_fully_qualified("busybox"));
    CHECK_FALSE(skiff::is_fully_qualified("user/app:1"));
    CHECK_FALSE(skiff::is_fully_qualified("localhost:5000")); // that is busybox-style name:tag
    CHECK(skiff::is_fully_qualified("localhost/app"));
    CHECK(skiff::is_fully_qualified("docker.io/busybox"));
    CHECK(skiff::is_fully_qualified("host:5000/app@sha256:" + kHex));
}

TEST_CASE("aliases and unqualified search", "[reference]") {
    skiff::RegistryConfig cfg;
    cfg.unqualified_search = {"quay.io", "docker.io"};
    cfg.aliases["fedora"] = "registry.fedoraproject.org/fedora";
    cfg.aliases["bad"] = "justaname";

    auto a = skiff::resolve_alias("fedora:39", cfg);
    REQUIRE(a);
    CHECK(a->str() == "registry.fedoraproject.org/fedora:39");
    CHECK(skiff::resolve_alias("fedora", cfg)->str() == "registry.fedoraproject.org/fedora:latest");
    CHECK_FALSE(skiff::resolve_alias("ubuntu", cfg));
    CHECK_FALSE(skiff::resolve_alias("quay.io/fedora", cfg));
    CHECK_THROWS_WITH(skiff::resolve_alias("bad", cfg), Catch::Contains("must be a fully qualified reference"));

    auto c = skiff::resolve_candidates("busybox:1", cfg);
    REQUIRE(c.size() == 2);
    CHECK(c[0].str() == "quay.io/busybox:1");
    CHECK(c[1].str() == "docker.io/library/busybox:1");
    CHECK(skiff::resolve_candidates("localhost/x", cfg).size() == 1);
    CHECK(skiff::resolve_candidates("fedora", cfg).at(0).registry == "registry.fedoraproject.org");

    cfg.unqualified_search.clear();
    CHECK_THROWS_WITH(skiff::resolve_candidates("busybox", cfg), Catch::Contains("no unqualified-search registries"));
    CHECK_THROWS_WITH(skiff::resolve_candidates("Busybox", cfg), Catch::Contains("must be lowercase"));
}

TEST_CASE("tag and host syntax helpers", "[reference]") {
    CHECK(skiff::is_valid_tag("latest"));
    CHECK(skiff::is_valid_tag("_x"));
    CHECK_FALSE(skiff::is_valid_tag(".x"));
    CHECK_FALSE(skiff::is_valid_tag(""));
    CHECK(skiff::is_valid_registry_host("a.b-c.d:5000"));
    CHECK(skiff::is_valid_registry_host("[fe80::1]"));
    CHECK_FALSE(skiff::is_valid_registry_host("a-.b"));
    CHECK_FALSE(skiff::is_valid_registry_host("a..b"));
}
