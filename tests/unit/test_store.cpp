// The image store: blobs, chain IDs, layers, image records, refcounting,
// locking between processes, prune.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <dirent.h>
#include <chrono>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/digest.hpp"
#include "storage/chain_id.hpp"
#include "storage/layer_unpack.hpp"
#include "storage/store.hpp"
#include "storage_fixtures.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

using namespace skiff;
using namespace skiff::storage;
using skiff::testing::ScratchDir;
using skiff::testing::TarBuilder;

namespace {

int count_entries(const std::string& dir) {
    int n = 0;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return -1;
    while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++n;
    ::closedir(d);
    return n;
}

bool path_exists(const std::string& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

std::string fake_id(const std::string& head) { return "sha256:" + head + std::string(64 - head.size(), '0'); }

// Unpacks a one-file layer on top of parent and commits it; returns its chain ID.
std::string add_layer(const Store& s, const std::string& parent, const std::string& file) {
    TarBuilder t;
    t.file(file, "content of " + file);
    std::string tar = t.finish();
    LayerTemp tmp = s.begin_layer();
    size_t pos = 0;
    auto r = unpack_layer(
        [&](char* buf, size_t len) {
            size_t n = std::min(len, tar.size() - pos);
            std::memcpy(buf, tar.data() + pos, n);
            pos += n;
            return n;
        },
        tmp.diff_fd());
    LayerMeta m;
    m.diff_id = r.diff_id;
    m.parent_chain_id = parent;
    m.chain_id = chain_id(parent, r.diff_id);
    m.size = r.bytes;
    s.commit_layer(std::move(tmp), m);
    return m.chain_id;
}

ImageRecord make_record(const std::string& id, std::vector<std::string> layers, std::vector<std::string> tags) {
    ImageRecord r;
    r.id = id;
    r.manifest_digest = Digest::sha256_of("manifest of " + id).str();
    r.manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
    r.layers = std::move(layers);
    r.repo_tags = std::move(tags);
    r.created = "2024-01-02T03:04:05Z";
    r.pulled_at = 1700000000;
    r.os = "linux";
    r.architecture = "amd64";
    return r;
}

int wait_exit(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace

TEST_CASE("chain IDs follow the OCI definition", "[store]") {
    // diff IDs: sha256 of "a", "b", "c"; expected values computed independently.
    std::vector<std::string> diffs = {
        "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
        "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d",
        "sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6",
    };
    auto chains = chain_ids(diffs);
    REQUIRE(chains.size() == 3);
    CHECK(chains[0] == diffs[0]);
    CHECK(chains[1] == "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676");
    CHECK(chains[2] == "sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106");
    CHECK_THROWS_AS(chain_id("", "md5:abc"), Error);
}

TEST_CASE("BlobWriter commits verified content and nothing else", "[store]") {
    ScratchDir dir;
    Store s(dir.path);
    Digest hello = Digest::sha256_of("hello world");

    SECTION("matching digest") {
        auto w = s.open_blob_writer(hello, 11);
        w.write("hello ");
        w.write("world");
        CHECK_FALSE(s.has_blob(hello));
        std::string path = w.commit();
        CHECK(path == s.blob_path(hello));
        CHECK(s.has_blob(hello));
        CHECK(s.read_blob(hello) == "hello world");
    }
    SECTION("mismatch throws and leaves nothing") {
        auto w = s.open_blob_writer(hello);
        w.write("hello wörld");
        CHECK_THROWS_WITH(w.commit(), Catch::Contains("digest mismatch"));
        CHECK_FALSE(s.has_blob(hello));
    }
    SECTION("more bytes than announced are cut off") {
        auto w = s.open_blob_writer(hello, 5);
        CHECK_THROWS_WITH(w.write("hello world"), Catch::Contains("more than the expected"));
    }
    SECTION("abandoned writer cleans up") {
        auto w = s.open_blob_writer(hello);
        w.write("hello");
    }
    SECTION("corrupt blob in the store is detected on read") {
        auto w = s.open_blob_writer(hello);
        w.write("hello world");
        w.commit();
        write_all(open_fd(s.blob_path(hello), O_WRONLY | O_TRUNC).get(), std::string("tampered"));
        CHECK_THROWS_WITH(s.read_blob(hello), Catch::Contains("corrupt"));
    }
    CHECK(count_entries(dir / "tmp") == 0);
}

TEST_CASE("layers are committed atomically under their chain ID", "[store]") {
    ScratchDir dir;
    Store s(dir.path);
    std::string base = add_layer(s, "", "etc/base");
    CHECK(s.has_layer(base));
    CHECK(path_exists(s.layer_dir(base) + "/etc/base"));
    auto meta = s.layer_meta(base);
    REQUIRE(meta);
    CHECK(meta->chain_id == base);
    CHECK(meta->diff_id == base);

    std::string top = add_layer(s, base, "etc/top");
    CHECK(top != base);
    CHECK(s.layer_meta(top)->parent_chain_id == base);

    // A second commit of the same layer (a concurrent pull) keeps the first.
    add_layer(s, base, "etc/top");
    CHECK(s.has_layer(top));

    // Inconsistent metadata is refused and leaves no temp dir behind.
    LayerTemp tmp = s.begin_layer();
    LayerMeta bad;
    bad.diff_id = Digest::sha256_of("x").str();
    bad.chain_id = Digest::sha256_of("y").str();
    CHECK_THROWS_WITH(s.commit_layer(std::move(tmp), bad), Catch::Contains("chain ID"));
    int tmps = 0;
    DIR* d = ::opendir((dir / "layers").c_str());
    while (dirent* e = ::readdir(d))
        if (std::string(e->d_name).rfind("tmp-", 0) == 0) ++tmps;
    ::closedir(d);
    CHECK(tmps == 0);
}

TEST_CASE("image records round-trip; names and prefixes resolve", "[store]") {
    ScratchDir dir;
    Store s(dir.path);
    std::string l = add_layer(s, "", "f");
    auto rec = make_record(fake_id("abc1"), {l}, {"docker.io/library/x:1"});
    rec.diff_ids = {l};
    rec.repo_digests = {"docker.io/library/x@" + rec.manifest_digest};
    rec.size = 42;
    s.put_image(rec);

    auto got = s.image(rec.id);
    REQUIRE(got);
    CHECK(got->manifest_digest == rec.manifest_digest);
    CHECK(got->manifest_media_type == rec.manifest_media_type);
    CHECK(got->layers == rec.layers);
    CHECK(got->diff_ids == rec.diff_ids);
    CHECK(got->repo_tags == rec.repo_tags);
    CHECK(got->repo_digests == rec.repo_digests);
    CHECK(got->size == 42);
    CHECK(got->created == rec.created);
    CHECK(got->pulled_at == rec.pulled_at);
    CHECK(got->architecture == "amd64");

    CHECK(s.lookup_name("docker.io/library/x:1")->id == rec.id);
    CHECK(s.lookup_name(rec.repo_digests[0])->id == rec.id);
    CHECK_FALSE(s.lookup_name("docker.io/library/x:2"));

    s.put_image(make_record(fake_id("abc2"), {l}, {"docker.io/library/y:1"}));
    CHECK(s.lookup_id_prefix("abc1")->id == rec.id);
    CHECK(s.lookup_id_prefix("sha256:abc2")->id == fake_id("abc2"));
    CHECK_THROWS_WITH(s.lookup_id_prefix("abc"), Catch::Contains("ambiguous"));
    CHECK_FALSE(s.lookup_id_prefix("ffff"));
    CHECK(s.list_images().size() == 2);

    // A tag moves between images; untag removes it from the record.
    s.tag(fake_id("abc2"), "docker.io/library/x:1");
    CHECK(s.lookup_name("docker.io/library/x:1")->id == fake_id("abc2"));
    CHECK(s.image(rec.id)->repo_tags.empty());
    CHECK(s.untag("docker.io/library/x:1"));
    CHECK_FALSE(s.untag("docker.io/library/x:1"));
    CHECK(s.image(fake_id("abc2"))->repo_tags == std::vector<std::string>{"docker.io/library/y:1"});

    // Records must point at layers that exist.
    CHECK_THROWS_WITH(s.put_image(make_record(fake_id("abc3"), {fake_id("dead")}, {})),
                      Catch::Contains("not in the store"));
}

TEST_CASE("removing images deletes only unreferenced layers and blobs", "[store]") {
    ScratchDir dir;
    std::set<std::string> container_layers;
    StoreOptions opts;
    opts.layers_in_use = [&] { return container_layers; };
    Store s(dir.path, opts);

    std::string l1 = add_layer(s, "", "base");
    std::string l2 = add_layer(s, l1, "top");
    std::string l3 = add_layer(s, l1, "other");
    auto a = make_record(fake_id("aa"), {l1}, {"a:1"});
    auto b = make_record(fake_id("bb"), {l1, l2}, {"b:1"});
    auto c = make_record(fake_id("cc"), {l1, l3}, {"c:1"});
    for (auto* r : {&a, &b, &c}) {
        auto w = s.open_blob_writer(Digest::sha256_of("manifest of " + r->id));
        w.write("manifest of " + r->id);
        w.commit();
        s.put_image(*r);
    }

    auto rep = s.remove_image(b.id);
    CHECK(rep.layers_removed == std::vector<std::string>{l2});
    CHECK(rep.blobs_removed == std::vector<std::string>{b.manifest_digest});
    CHECK_FALSE(s.has_layer(l2));
    CHECK(s.has_layer(l1));
    CHECK_FALSE(s.lookup_name("b:1"));

    container_layers = {l1, l3}; // a container runs on c's stack
    rep = s.remove_image(c.id);
    CHECK(rep.layers_removed.empty());
    CHECK(s.has_layer(l3));

    rep = s.remove_image(a.id);
    CHECK(rep.layers_removed.empty()); // still used by the container
    container_layers.clear();
    auto pr = s.prune();
    CHECK(pr.layers_removed.size() == 2);
    CHECK_FALSE(s.has_layer(l1));
    CHECK_FALSE(s.has_layer(l3));
    CHECK(count_entries(dir / "layers") == 0);
    CHECK(count_entries(dir / "blobs/sha256") == 0);
    CHECK_THROWS_WITH(s.remove_image(a.id), Catch::Contains("no such image"));
}

TEST_CASE("a pull's lease keeps its unreferenced content from GC", "[store]") {
    ScratchDir dir;
    Store s(dir.path);
    std::string l1 = add_layer(s, "", "base"); // committed, no record yet
    {
        FileLock lease = s.lease();
        auto pr = s.prune();
        CHECK(pr.gc_skipped);
        CHECK(s.has_layer(l1));
    }
    auto pr = s.prune();
    CHECK_FALSE(pr.gc_skipped);
    CHECK_FALSE(s.has_layer(l1));
}

TEST_CASE("prune removes a killed pull's temp files but not a live one's", "[store]") {
    ScratchDir dir;
    Store s(dir.path);
    Digest d = Digest::sha256_of("payload");

    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        try {
            Store cs(dir.path);
            auto w = cs.open_blob_writer(d);
            w.write("pay");
            LayerTemp t = cs.begin_layer();
            ::_exit(0); // "killed": no destructors run
        } catch (...) {
            ::_exit(1);
        }
    }
    REQUIRE(wait_exit(pid) == 0);
    REQUIRE(count_entries(dir / "tmp") == 1);

    auto live = s.open_blob_writer(d);
    live.write("pay");
    LayerTemp live_layer = s.begin_layer();

    auto pr = s.prune();
    CHECK(pr.temps_removed.size() == 2); // the dead pull's blob temp and layer temp
    CHECK(count_entries(dir / "tmp") == 1);
    CHECK(path_exists(live_layer.diff_dir()));
    live.write("load");
    CHECK(live.commit() == s.blob_path(d));
}

TEST_CASE("the store lock serialises mutations across processes", "[store]") {
    ScratchDir dir;
    Store s(dir.path);
    std::string l = add_layer(s, "", "f");
    s.put_image(make_record(fake_id("ee"), {l}, {}));

    SECTION("a mutation waits for the holder") {
        Pipe p = Pipe::make();
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            FileLock held = s.lock();
            char c = 'x';
            if (::write(p.write.get(), &c, 1) != 1) ::_exit(1);
            ::usleep(300 * 1000);
            ::_exit(0);
        }
        char c = 0;
        REQUIRE(::read(p.read.get(), &c, 1) == 1);
        auto start = std::chrono::steady_clock::now();
        s.tag(fake_id("ee"), "waited:1");
        auto waited = std::chrono::steady_clock::now() - start;
        CHECK(waited >= std::chrono::milliseconds(200));
        CHECK(wait_exit(pid) == 0);
    }
    SECTION("concurrent read-modify-write loses no update") {
        constexpr int kPerChild = 25;
        std::vector<pid_t> kids;
        for (int k = 0; k < 2; ++k) {
            pid_t pid = ::fork();
            REQUIRE(pid >= 0);
            if (pid == 0) {
                try {
                    Store cs(dir.path);
                    for (int i = 0; i < kPerChild; ++i)
                        cs.tag(fake_id("ee"), "r" + std::to_string(k) + ":" + std::to_string(i));
                } catch (...) {
                    ::_exit(1);
                }
                ::_exit(0);
            }
            kids.push_back(pid);
        }
        for (pid_t pid : kids) CHECK(wait_exit(pid) == 0);
        CHECK(s.names().size() == 2 * kPerChild);
        CHECK(s.image(fake_id("ee"))->repo_tags.size() == 2 * kPerChild);
    }
}
