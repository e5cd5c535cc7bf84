// Flatten-mode unpack compared against `umoci unpack` of the same two-layer
// image (skipped when umoci is not installed).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <ftw.h>
#include <map>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/digest.hpp"
#include "storage/layer_unpack.hpp"
#include "storage_fixtures.hpp"
#include "util/atomic_file.hpp"
#include "util/fd.hpp"

using namespace skiff;
using namespace skiff::storage;
using skiff::testing::Compression;
using skiff::testing::ScratchDir;
using skiff::testing::TarBuilder;

namespace {

std::map<std::string, std::string>* g_tree = nullptr; // nftw has no user pointer
size_t g_prefix = 0;

int describe(const char* path, const struct stat* st, int, FTW*) {
    std::string rel = std::string(path).substr(g_prefix);
    if (rel.empty()) return 0;
    std::string d = std::to_string(st->st_mode) + " " + std::to_string(st->st_uid) + ":" + std::to_string(st->st_gid);
    if (S_ISREG(st->st_mode)) d += " " + read_file(path);
    if (S_ISLNK(st->st_mode)) {
        char buf[4096] = {};
        if (::readlink(path, buf, sizeof buf - 1) > 0) d += " -> " + std::string(buf);
    }
    (*g_tree)[rel] = d;
    return 0;
}

std::map<std::string, std::string> tree(const std::string& root) {
    std::map<std::string, std::string> out;
    g_tree = &out;
    g_prefix = root.size();
    REQUIRE(::nftw(root.c_str(), describe, 32, FTW_PHYS) == 0);
    g_tree = nullptr;
    return out;
}

std::string put_blob(const std::string& layout, const std::string& data) {
    Digest d = Digest::sha256_of(data);
    atomic_write_file(layout + "/blobs/sha256/" + d.hex(), data);
    return d.str();
}

bool have_umoci() { return ::access("/usr/bin/umoci", X_OK) == 0 || ::access("/usr/local/bin/umoci", X_OK) == 0; }

} // namespace

TEST_CASE("flatten unpack matches umoci unpack", "[unpack][umoci]") {
    if (!have_umoci() || ::geteuid() != 0) {
        WARN("umoci (as root) not available: skipped");
        return;
    }
    ScratchDir dir{"skiff-umoci"};
    TarBuilder l1(Compression::gzip);
    l1.dir("etc").file("etc/passwd", "root:x:0:0\n").file("etc/gone", "g").dir("opt", {0750, 0, 0, 1700000000})
        .file("opt/old", "o").dir("var").dir("var/lib").file("var/lib/x", "x", {0600, 1000, 1000, 1700000000})
        .symlink("bin", "usr/bin").dir("usr").dir("usr/bin").file("usr/bin/tool", "t", {04755, 0, 0, 1700000000})
        .hardlink("usr/bin/tool2", "usr/bin/tool");
    TarBuilder l2(Compression::gzip);
    l2.file("etc/.wh.gone", "").dir("opt", {0750, 0, 0, 1700000000}).file("opt/.wh..wh..opq", "")
        .file("opt/new", "n").file("var/lib/.wh.x", "").file("usr/bin/extra", "e", {0755, 0, 0, 1700000000});
    std::vector<std::string> layers = {l1.finish(), l2.finish()};

    std::string layout = dir / "layout";
    make_dirs(layout + "/blobs/sha256");
    atomic_write_file(layout + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    nlohmann::json config = {{"architecture", "amd64"}, {"os", "linux"}, {"config", nlohmann::json::object()},
                             {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}}};
    nlohmann::json manifest_layers = nlohmann::json::array();
    for (const auto& l : layers) {
        std::string digest = put_blob(layout, l);
        manifest_layers.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                   {"digest", digest}, {"size", l.size()}});
        // diff ID: unpack once into a scratch dir just to get it.
        ScratchDir s;
        UniqueFd fd = open_fd(s.path, O_RDONLY | O_DIRECTORY);
        UniqueFd mem = open_fd(layout + "/blobs/sha256/" + Digest::parse(digest).hex(), O_RDONLY);
        config["rootfs"]["diff_ids"].push_back(unpack_layer(mem.get(), fd.get()).diff_id);
    }
    std::string cfg = config.dump();
    nlohmann::json manifest = {
        {"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
        {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", put_blob(layout, cfg)},
                    {"size", cfg.size()}}},
        {"layers", manifest_layers}};
    std::string man = manifest.dump();
    nlohmann::json index = {
        {"schemaVersion", 2},
        {"manifests", {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", put_blob(layout, man)},
                        {"size", man.size()}, {"annotations", {{"org.opencontainers.image.ref.name", "t"}}}}}}};
    atomic_write_file(layout + "/index.json", index.dump());

    std::string bundle = dir / "bundle";
    std::string cmd = "umoci unpack --image '" + layout + ":t' '" + bundle + "' >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);

    std::string ours = dir / "ours";
    ::mkdir(ours.c_str(), 0755);
    UniqueFd root = open_fd(ours, O_RDONLY | O_DIRECTORY);
    UnpackOptions o;
    o.whiteouts = WhiteoutMode::flatten;
    for (const auto& l : layers) {
        size_t pos = 0;
        unpack_layer(
            [&](char* buf, size_t len) {
                size_t n = std::min(len, l.size() - pos);
                std::memcpy(buf, l.data() + pos, n);
                pos += n;
                return n;
            },
            root.get(), o);
    }
    auto theirs = tree(bundle + "/rootfs");
    auto mine = tree(ours);
    CHECK(mine.size() == 12); // etc passwd opt new var lib bin usr usr/bin tool tool2 extra
    CHECK(mine.count("/opt/new") == 1);
    CHECK(mine.count("/opt/old") == 0);
    CHECK(mine == theirs);
}
