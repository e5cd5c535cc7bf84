#include <catch2/catch.hpp>

#include <string>

#include "image/image_config.hpp"
#include "image/manifest.hpp"
#include "util/error.hpp"

using namespace skiff;

namespace {

std::string dg(char c) { return "sha256:" + std::string(64, c); }

std::string entry(const std::string& arch, const std::string& variant, char d, const std::string& os = "linux",
                  const std::string& extra = "") {
    std::string p = R"({"os":")" + os + R"(","architecture":")" + arch + "\"";
    if (!variant.empty()) p += R"(,"variant":")" + variant + "\"";
    p += "}";
    return R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + dg(d) +
           R"(","size":500,"platform":)" + p + extra + "}";
}

std::string index_json() {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
           entry("amd64", "", 'a') + "," + entry("arm64", "", 'b') + "," + entry("arm", "v6", 'c') + "," +
           entry("arm", "v7", 'd') + "," +
           entry("unknown", "", 'e', "unknown",
                 R"(,"annotations":{"vnd.docker.reference.type":"attestation-manifest"})") +
           "]}";
}

const char* kDockerManifest = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
  "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469,
             "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111"},
  "layers": [
    {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 2807,
     "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222"},
    {"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "size": 10,
     "digest": "sha256:3333333333333333333333333333333333333333333333333333333333333333",
     "urls": ["https://example.com/layer"]}
  ]
})";

} // namespace

TEST_CASE("platform parsing and normalisation", "[platform]") {
    CHECK(Platform::parse("linux/amd64").str() == "linux/amd64");
    CHECK(Platform::parse("linux/x86_64").str() == "linux/amd64");
    CHECK(Platform::parse("linux/arm64").str() == "linux/arm64/v8");
    CHECK(Platform::parse("linux/aarch64").str() == "linux/arm64/v8");
    CHECK(Platform::parse("linux/arm").str() == "linux/arm/v7");
    CHECK(Platform::parse("linux/arm/6").str() == "linux/arm/v6");
    CHECK(Platform::parse("arm64").str() == "linux/arm64/v8");
    CHECK(Platform::parse("Linux/AMD64").str() == "linux/amd64");
    CHECK_THROWS_WITH(Platform::parse("linux/"), Catch::Contains("expected OS/ARCH[/VARIANT]"));
    CHECK_THROWS_WITH(Platform::parse("a/b/c/d"), Catch::Contains("expected OS/ARCH[/VARIANT]"));
    CHECK_THROWS_WITH(Platform::parse("plan9x/amd64"), Catch::Contains("unknown operating system"));
    Platform h = Platform::host();
    CHECK(h.os == "linux");
    CHECK_FALSE(h.architecture.empty());
    CHECK(h.architecture != "x86_64");
    CHECK(h.architecture != "aarch64");
}

TEST_CASE("platform selection from an index", "[platform][manifest]") {
    Index idx = Index::parse(index_json(), media_type::oci_index);
    REQUIRE(idx.manifests.size() == 5);
    auto pick = [&](const char* p) { return idx.select(Platform::parse(p)).digest; };
    CHECK(pick("linux/amd64") == Digest::parse(dg('a')));
    CHECK(pick("linux/arm64") == Digest::parse(dg('b')));    // index entry has no variant: means v8
    CHECK(pick("linux/arm64/v8") == Digest::parse(dg('b')));
    CHECK(pick("linux/arm") == Digest::parse(dg('d')));      // arm defaults to v7
    CHECK(pick("linux/arm/v6") == Digest::parse(dg('c')));   // exact variant
    CHECK(pick("linux/arm/v8") == Digest::parse(dg('d')));   // highest lower variant
    CHECK_THROWS_WITH(pick("linux/arm/v5"),
                      "no image for platform linux/arm/v5 in the manifest list (available: linux/amd64, "
                      "linux/arm64/v8, linux/arm/v6, linux/arm/v7)");
    CHECK_THROWS_WITH(pick("linux/s390x"), Catch::Contains("no image for platform linux/s390x"));
    CHECK_THROWS_WITH(pick("windows/amd64"), Catch::Contains("no image for platform windows/amd64"));
    CHECK(idx.available_platforms().find("unknown") == std::string::npos);
}

TEST_CASE("arch must match exactly; variant series", "[platform]") {
    std::string only_arm = R"({"manifests":[)" + entry("arm", "v7", 'a') + "]}";
    Index idx = Index::parse(only_arm, media_type::docker_manifest_list);
    CHECK_THROWS_WITH(idx.select(Platform::parse("linux/arm64")), Catch::Contains("(available: linux/arm/v7)"));

    std::string amd = R"({"manifests":[)" + entry("amd64", "", 'a') + "," + entry("amd64", "v2", 'b') + "]}";
    Index a = Index::parse(amd, media_type::oci_index);
    CHECK(a.select(Platform::parse("linux/amd64/v3")).digest == Digest::parse(dg('b')));
    CHECK(a.select(Platform::parse("linux/amd64")).digest == Digest::parse(dg('a')));
}

TEST_CASE("image manifests and layer types", "[manifest]") {
    ImageManifest m = ImageManifest::parse(kDockerManifest, media_type::docker_manifest);
    CHECK(m.config.size == 1469);
    REQUIRE(m.layers.size() == 2);
    CHECK(classify_layer(m.layers[0].media_type).compression == Compression::gzip);
    CHECK_FALSE(classify_layer(m.layers[0].media_type).foreign);
    CHECK(classify_layer(m.layers[1].media_type).foreign);
    CHECK(m.layers[1].urls.size() == 1);

    CHECK(classify_layer(media_type::oci_layer_zstd).compression == Compression::zstd);
    CHECK(classify_layer(media_type::oci_layer).compression == Compression::none);
    CHECK(classify_layer(media_type::docker_layer).compression == Compression::none);
    CHECK(classify_layer(media_type::oci_layer_nondist_gzip).foreign);
    CHECK_THROWS_WITH(classify_layer("application/x-foo"), "unsupported layer media type 'application/x-foo'");

    std::string bad_layer = kDockerManifest;
    bad_layer.replace(bad_layer.find("rootfs.diff.tar.gzip"), 20, "rootfs.diff.tar.lz4x");
    CHECK_THROWS_WITH(ImageManifest::parse(bad_layer, media_type::docker_manifest),
                      Catch::Contains("layers[0]: unsupported layer media type"));

    std::string helm = kDockerManifest;
    const std::string docker_cfg(media_type::docker_config);
    helm.replace(helm.find(docker_cfg), docker_cfg.size(), "application/vnd.cncf.helm.config.v1+json");
    CHECK_THROWS_WITH(ImageManifest::parse(helm, media_type::docker_manifest),
                      Catch::Contains("not a container image: its config has media type "
                                      "'application/vnd.cncf.helm.config.v1+json'"));

    std::string no_digest = R"({"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":1},"layers":[]})";
    CHECK_THROWS_WITH(ImageManifest::parse(no_digest, media_type::oci_manifest), Catch::Contains("config: missing digest"));
}

TEST_CASE("media type detection and schema 1", "[manifest]") {
    CHECK(detect_manifest_media_type(kDockerManifest, "application/json") == media_type::docker_manifest);
    CHECK(detect_manifest_media_type(index_json(), "") == media_type::oci_index);
    CHECK(detect_manifest_media_type(R"({"manifests":[]})", "application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8") ==
          media_type::docker_manifest_list);
    CHECK(detect_manifest_media_type(R"({"schemaVersion":2,"config":{},"layers":[]})", "") == media_type::oci_manifest);
    CHECK(manifest_kind(media_type::docker_manifest_list) == ManifestKind::index);
    CHECK(manifest_kind(media_type::oci_manifest) == ManifestKind::image);

    const char* v1 = R"({"schemaVersion":1,"name":"x","tag":"1","fsLayers":[]})";
    CHECK_THROWS_WITH(detect_manifest_media_type(v1, "application/json"),
                      Catch::StartsWith("manifest schema 1 is not supported"));
    CHECK_THROWS_WITH(detect_manifest_media_type("{}", media_type::docker_schema1_signed),
                      Catch::StartsWith("manifest schema 1 is not supported"));
    CHECK_THROWS_WITH(manifest_kind(media_type::docker_schema1), Catch::StartsWith("manifest schema 1"));
    CHECK_THROWS_WITH(detect_manifest_media_type(R"({"mediaType":"application/x-weird"})", ""),
                      "unsupported manifest media type 'application/x-weird'");
    CHECK_THROWS_WITH(detect_manifest_media_type("{not json", ""), Catch::Contains("invalid JSON in manifest"));

    std::string huge = R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","x":")" +
                       std::string(kMaxManifestBytes, 'x') + "\"}";
    CHECK_THROWS_WITH(detect_manifest_media_type(huge, ""), Catch::Contains("more than the limit of 4 MiB"));
    CHECK_THROWS_WITH(Index::parse(huge, media_type::oci_index), Catch::Contains("more than the limit of 4 MiB"));
}

TEST_CASE("image config parsing", "[manifest]") {
    const char* cfg = R"({
      "created": "2024-01-02T03:04:05Z", "architecture": "arm", "os": "linux", "variant": "v7",
      "config": {"Env": ["PATH=/usr/bin", "A=b"], "Cmd": ["sh"], "Entrypoint": null, "WorkingDir": "/w",
                 "User": "1000:1000", "ExposedPorts": {"80/tcp": {}, "53/udp": {}}, "Volumes": {"/data": {}},
                 "Labels": {"org.opencontainers.image.title": "t"}, "StopSignal": "SIGQUIT"},
      "rootfs": {"type": "layers", "diff_ids": ["sha256:4444444444444444444444444444444444444444444444444444444444444444",
                                                "sha256:5555555555555555555555555555555555555555555555555555555555555555"]},
      "history": [{"created_by": "ADD x /"}, {"created_by": "ENV A=b", "empty_layer": true}]
    })";
    ImageConfig c = ImageConfig::parse(cfg);
    CHECK(c.platform().str() == "linux/arm/v7");
    CHECK(c.config.env.size() == 2);
    CHECK(c.config.cmd == std::vector<std::string>{"sh"});
    CHECK(c.config.entrypoint.empty());
    CHECK(c.config.working_dir == "/w");
    CHECK(c.config.user == "1000:1000");
    CHECK(c.config.exposed_ports == std::vector<std::string>{"53/udp", "80/tcp"});
    CHECK(c.config.volumes == std::vector<std::string>{"/data"});
    CHECK(c.config.labels.at("org.opencontainers.image.title") == "t");
    CHECK(c.config.stop_signal == "SIGQUIT");
    CHECK(c.diff_ids.size() == 2);
    REQUIRE(c.history.size() == 2);
    CHECK(c.history[1].empty_layer);
    CHECK(c.created == "2024-01-02T03:04:05Z");

    ImageManifest m = ImageManifest::parse(kDockerManifest, media_type::docker_manifest);
    CHECK_NOTHROW(check_layers_match(m, c));
    c.diff_ids.pop_back();
    CHECK_THROWS_WITH(check_layers_match(m, c), Catch::Contains("2 layers but the config has 1 diff_ids"));

    CHECK_THROWS_WITH(ImageConfig::parse(R"({"config":{"Env":"x"},"rootfs":{"type":"layers"}})"),
                      Catch::Contains("field 'Env': expected a list of strings"));
    CHECK_THROWS_WITH(ImageConfig::parse(R"({"os":"linux"})"), Catch::Contains("rootfs: missing"));
    CHECK_THROWS_WITH(ImageConfig::parse(R"({"rootfs":{"type":"layers","diff_ids":["sha256:zz"]}})"),
                      Catch::Contains("invalid digest 'sha256:zz'"));
}
