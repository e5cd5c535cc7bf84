#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/auth_file.hpp"
#include "registry/authorizer.hpp"
#include "registry/base64.hpp"
#include "registry/endpoint.hpp"
#include "registry/registry_error.hpp"
#include "registry/www_authenticate.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

using namespace skiff;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "skiff-test-auth-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

// Sets an environment variable for one scope and restores it afterwards.
class EnvGuard {
public:
    EnvGuard(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        had_ = std::getenv(name) != nullptr;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~EnvGuard() {
        if (had_)
            ::setenv(name_.c_str(), old_.c_str(), 1);
        else
            ::unsetenv(name_.c_str());
    }
    EnvGuard(const EnvGuard&) = delete;
    EnvGuard& operator=(const EnvGuard&) = delete;

private:
    std::string name_, old_;
    bool had_ = false;
};

std::string auth_entry(const std::string& user_pass) { return R"({"auth":")" + base64_encode(user_pass) + R"("})"; }

} // namespace

TEST_CASE("WWW-Authenticate parsing", "[auth]") {
    auto cs = parse_www_authenticate(
        R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
    REQUIRE(cs.size() == 1);
    CHECK(cs[0].scheme == "bearer");
    CHECK(cs[0].param("realm") == "https://auth.docker.io/token");
    CHECK(cs[0].param("service") == "registry.docker.io");
    CHECK(cs[0].param("scope") == "repository:library/busybox:pull");

    auto basic = parse_www_authenticate(R"(Basic realm="Registry Realm")");
    REQUIRE(basic.size() == 1);
    CHECK(basic[0].scheme == "basic");
    CHECK(basic[0].param("realm") == "Registry Realm");

    auto two = parse_www_authenticate(
        R"(BEARER Realm = "http://127.0.0.1:5001/auth" , error="insufficient_scope", Basic realm="a \"q\" b")");
    REQUIRE(two.size() == 2);
    CHECK(two[0].scheme == "bearer");
    CHECK(two[0].param("realm") == "http://127.0.0.1:5001/auth");
    CHECK(two[0].param("error") == "insufficient_scope");
    CHECK(two[1].scheme == "basic");
    CHECK(two[1].param("realm") == "a \"q\" b");

    CHECK(parse_www_authenticate("").empty());
    CHECK(parse_www_authenticate("Basic").at(0).params.empty());
}

TEST_CASE("token responses", "[auth]") {
    CHECK(parse_token_response(R"({"token":"abc","expires_in":300})").token == "abc");
    CHECK(parse_token_response(R"({"token":"abc","expires_in":300})").expires_in == 300);
    CHECK(parse_token_response(R"({"access_token":"xyz"})").token == "xyz");
    CHECK(parse_token_response(R"({"access_token":"xyz"})").expires_in == 60);
    CHECK(parse_token_response(R"({"token":"t","expires_in":3})").expires_in == 60);
    CHECK_THROWS_WITH(parse_token_response(R"({"foo":1})"), Catch::Contains("without a token"));
    CHECK_THROWS_WITH(parse_token_response("<html>"), Catch::Contains("did not answer with JSON"));
    CHECK(repository_scope("library/busybox", false) == "repository:library/busybox:pull");
    CHECK(repository_scope("x", true) == "repository:x:pull,push");
}

TEST_CASE("base64", "[auth]") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("user:pass") == "dXNlcjpwYXNz");
    CHECK(base64_decode("dXNlcjpwYXNz") == std::string("user:pass"));
    CHECK(base64_decode("Zg") == std::string("f"));
    CHECK_FALSE(base64_decode("Zm9v!"));
    CHECK_FALSE(base64_decode("Z=9v"));
}

TEST_CASE("auth key normalisation", "[auth]") {
    CHECK(normalize_auth_key("https://index.docker.io/v1/") == "docker.io");
    CHECK(normalize_auth_key("index.docker.io") == "docker.io");
    CHECK(normalize_auth_key("registry-1.docker.io") == "docker.io");
    CHECK(normalize_auth_key("http://localhost:5000") == "localhost:5000");
    CHECK(normalize_auth_key("quay.io/ns/") == "quay.io/ns");
}

TEST_CASE("reading docker config.json and auth.json", "[auth]") {
    TempDir t;
    std::string docker = t.path + "/config.json";
    std::string podman = t.path + "/auth.json";
    atomic_write_file(docker, R"({"auths":{"https://index.docker.io/v1/":)" + auth_entry("hubuser:hub:pass") +
                                  R"(,"localhost:5000":)" + auth_entry("a:b") + "}}");
    atomic_write_file(podman, R"({"auths":{"quay.io":)" + auth_entry("q:1") + R"(,"quay.io/team":)" +
                                  auth_entry("team:2") + R"(,"localhost:5000":)" + auth_entry("podman:wins") + "}}");
    std::vector<std::string> paths{podman, t.path + "/missing.json", docker};

    auto hub = lookup_credentials("docker.io", paths);
    REQUIRE(hub);
    CHECK(hub->username == "hubuser");
    CHECK(hub->password == "hub:pass"); // only the first ':' separates
    CHECK(lookup_credentials("docker.io/library/busybox", paths)->username == "hubuser");
    CHECK(lookup_credentials("localhost:5000", paths)->username == "podman"); // the first file wins
    CHECK(lookup_credentials("quay.io/team/app", paths)->username == "team"); // most specific key
    CHECK(lookup_credentials("quay.io/other/app", paths)->username == "q");
    CHECK_FALSE(lookup_credentials("ghcr.io", paths));

    atomic_write_file(docker, "{not json");
    CHECK_THROWS_WITH(lookup_credentials("ghcr.io", paths), Catch::Contains("config.json"));
}

TEST_CASE("credential helpers are reported, only for their host", "[auth]") {
    TempDir t;
    std::string docker = t.path + "/config.json";
    atomic_write_file(docker, R"({"auths":{"quay.io":)" + auth_entry("q:1") + R"(,"ghcr.io":{}},
        "credHelpers":{"123.dkr.ecr.us-east-1.amazonaws.com":"ecr-login"},"credsStore":"desktop"})");
    std::vector<std::string> paths{docker};
    CHECK(lookup_credentials("quay.io", paths)->username == "q");
    CHECK_FALSE(lookup_credentials("localhost:5000", paths));
    CHECK_THROWS_WITH(lookup_credentials("123.dkr.ecr.us-east-1.amazonaws.com/app", paths),
                      Catch::Contains("credential helper 'ecr-login'") && Catch::Contains("not supported"));
    CHECK_THROWS_WITH(lookup_credentials("ghcr.io", paths), Catch::Contains("credential store 'desktop'"));
}

TEST_CASE("store and erase round trip", "[auth]") {
    TempDir t;
    std::string path = t.path + "/sub/dir/auth.json";
    store_credentials(path, "localhost:5000", {"alice", "s3cret"});
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(lookup_credentials("localhost:5000", std::vector<std::string>{path}) == Credentials{"alice", "s3cret"});

    store_credentials(path, "https://index.docker.io/v1/", {"bob", "pw"});
    store_credentials(path, "docker.io", {"bob", "pw2"}); // replaces, one entry
    std::string text = read_file(path);
    CHECK(text.find("index.docker.io") == std::string::npos);
    CHECK(lookup_credentials("docker.io", std::vector<std::string>{path})->password == "pw2");

    CHECK(erase_credentials(path, "localhost:5000"));
    CHECK_FALSE(erase_credentials(path, "localhost:5000"));
    CHECK_FALSE(lookup_credentials("localhost:5000", std::vector<std::string>{path}));
    CHECK(lookup_credentials("docker.io", std::vector<std::string>{path}));
    CHECK_FALSE(erase_credentials(t.path + "/none.json", "x"));
}

TEST_CASE("auth file locations", "[auth]") {
    {
        EnvGuard env("REGISTRY_AUTH_FILE", "/tmp/from-env.json");
        CHECK(auth_file_write_path() == "/tmp/from-env.json");
        CHECK(auth_file_write_path("/x/explicit.json") == "/x/explicit.json");
        CHECK(auth_file_search_paths().front() == "/tmp/from-env.json");
        CHECK(auth_file_search_paths().back().ends_with("/.docker/config.json"));
    }
    EnvGuard no_env("REGISTRY_AUTH_FILE", nullptr);
    if (::geteuid() != 0) {
        EnvGuard rt("XDG_RUNTIME_DIR", "/run/user/4242");
        CHECK(auth_file_write_path() == "/run/user/4242/containers/auth.json");
    } else {
        CHECK(auth_file_write_path() == "/run/containers/0/auth.json");
    }
}

TEST_CASE("loopback and insecure hosts", "[endpoint]") {
    CHECK(is_loopback_host("localhost"));
    CHECK(is_loopback_host("localhost:5000"));
    CHECK(is_loopback_host("127.0.0.1:5000"));
    CHECK(is_loopback_host("127.1.2.3"));
    CHECK(is_loopback_host("[::1]:5000"));
    CHECK(is_loopback_host("::1"));
    CHECK_FALSE(is_loopback_host("128.0.0.1:5000"));
    CHECK_FALSE(is_loopback_host("10.0.0.1"));
    CHECK_FALSE(is_loopback_host("localhost.example.com"));
    CHECK_FALSE(is_loopback_host("docker.io"));
    CHECK(host_without_port("[::1]:5000") == "::1");
    CHECK(host_without_port("a.b:1") == "a.b");
    CHECK(api_host("docker.io") == "registry-1.docker.io");
    CHECK(api_host("quay.io") == "quay.io");

    RegistryConfig cfg;
    cfg.insecure = {"reg.lan:5000", "other.lan"};
    CHECK(is_insecure_registry("reg.lan:5000", cfg));
    CHECK_FALSE(is_insecure_registry("reg.lan:5001", cfg));
    CHECK(is_insecure_registry("other.lan:443", cfg));

    std::vector<std::string> none;
    CHECK_FALSE(plan_endpoint("quay.io", std::nullopt, cfg, none).http_fallback);
    CHECK(plan_endpoint("quay.io", std::nullopt, cfg, none).tls.verify);
    CHECK(plan_endpoint("127.0.0.1:5000", std::nullopt, cfg, none).http_fallback);
    CHECK(plan_endpoint("127.0.0.1:5000", std::nullopt, cfg, none).tls.verify);
    CHECK_FALSE(plan_endpoint("127.0.0.1:5000", true, cfg, none).http_fallback);
    CHECK_FALSE(plan_endpoint("reg.lan:5000", std::nullopt, cfg, none).tls.verify);
    CHECK(plan_endpoint("reg.lan:5000", std::nullopt, cfg, none).http_fallback);
    CHECK_FALSE(plan_endpoint("quay.io", false, cfg, none).tls.verify);
}

TEST_CASE("certs.d lookup", "[endpoint]") {
    TempDir t;
    fs::create_directories(t.path + "/a/reg.lan:5000");
    fs::create_directories(t.path + "/b/reg.lan");
    atomic_write_file(t.path + "/a/reg.lan:5000/ca.crt", "CA-ONE\n");
    atomic_write_file(t.path + "/b/reg.lan/other.crt", "CA-TWO\n");
    atomic_write_file(t.path + "/b/reg.lan/client.cert", "CERT\n");
    atomic_write_file(t.path + "/b/reg.lan/client.key", "KEY\n");
    HostCerts c = load_host_certs("reg.lan:5000", {t.path + "/a", t.path + "/b", t.path + "/missing"});
    CHECK(c.ca_pem.find("CA-ONE") != std::string::npos);
    CHECK(c.ca_pem.find("CA-TWO") != std::string::npos);
    CHECK(c.client_cert == t.path + "/b/reg.lan/client.cert");
    CHECK(c.client_key == t.path + "/b/reg.lan/client.key");
    CHECK(load_host_certs("elsewhere:5000", {t.path + "/a"}).ca_pem.empty());

    atomic_write_file(t.path + "/a/reg.lan:5000/lonely.cert", "CERT\n");
    CHECK_THROWS_WITH(load_host_certs("reg.lan:5000", {t.path + "/a"}), Catch::Contains("has no key"));
}

TEST_CASE("registry error bodies become messages", "[registry]") {
    HttpResponse r;
    r.status = 404;
    r.body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"1"}}]})";
    ErrorContext ctx{"127.0.0.1:5000", "manifest 1", "127.0.0.1:5000/x", false};
    RegistryError e = registry_error(r, ctx);
    CHECK(std::string(e.what()) == "manifest unknown");
    CHECK(e.kind() == RegistryErrorKind::not_found);

    r.body = R"({"errors":[{"code":"BLOB_UNKNOWN"}]})";
    CHECK(std::string(registry_error(r, ctx).what()) == "blob unknown");
    r.body = "";
    CHECK(std::string(registry_error(r, ctx).what()) == "manifest 1 not found");

    r.status = 401;
    r.body = R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})";
    ctx.had_credentials = true;
    CHECK(std::string(registry_error(r, ctx).what()) ==
          "authentication failed for 127.0.0.1:5000: authentication required");
    ctx.had_credentials = false;
    RegistryError anon = registry_error(r, ctx);
    CHECK_THAT(std::string(anon.what()), Catch::Contains("access to 127.0.0.1:5000/x denied"));
    CHECK(anon.kind() == RegistryErrorKind::denied);

    r.status = 500;
    r.body = "oops";
    CHECK(std::string(registry_error(r, ctx).what()) == "127.0.0.1:5000 answered HTTP 500 for manifest 1");
    CHECK(parse_registry_errors("not json").empty());
}
