// Store: layout, locks, blobs and layers. Images live in store_images.cpp,
// removal and prune in store_gc.cpp.
#include "storage/store.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "storage/chain_id.hpp"
#include "storage/root_fs.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace skiff::storage {

namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::string chain_hex(const std::string& chain_id) { return Digest::parse(chain_id).hex(); }

} // namespace

Store::Store(std::string root, StoreOptions opts) : root_(std::move(root)), opts_(std::move(opts)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    if (!opts_.remove_layer_tree) opts_.remove_layer_tree = [](const std::string& p) { remove_tree(p); };
    if (!opts_.layers_in_use) opts_.layers_in_use = [] { return std::set<std::string>{}; };
    with_context("preparing the image store " + root_, [&] {
        make_dirs(root_, 0700);
        for (const char* sub : {"/blobs/sha256", "/layers", "/images", "/tmp"}) make_dirs(root_ + sub, 0700);
    });
}

FileLock Store::lock() const { return FileLock(root_ + "/store.lock", FileLock::Mode::exclusive); }
FileLock Store::lease() const { return FileLock(root_ + "/lease.lock", FileLock::Mode::shared); }

// --- blobs

std::string Store::blob_path(const Digest& d) const {
    if (d.empty()) throw Error("empty digest");
    return root_ + "/blobs/" + d.algorithm() + "/" + d.hex();
}

bool Store::has_blob(const Digest& d) const { return exists(blob_path(d)); }

BlobWriter Store::open_blob_writer(const Digest& expected, std::optional<uint64_t> expected_size) const {
    if (expected.algorithm() != "sha256") make_dirs(root_ + "/blobs/" + expected.algorithm(), 0700);
    return BlobWriter(*this, expected, expected_size);
}

std::string Store::read_blob(const Digest& d, size_t max_bytes) const {
    std::string data = read_file(blob_path(d), max_bytes);
    Hasher h = Hasher::for_digest(d);
    h.update(data);
    if (h.finish() != d) throw Error("blob " + d.str() + " in the store is corrupt (digest mismatch)");
    return data;
}

std::string Store::read_committed_blob(const Digest& d, size_t max_bytes) const {
    return read_file(blob_path(d), max_bytes);
}

// --- layers

std::string Store::layer_path(const std::string& chain_id) const {
    return layers_root() + "/" + chain_hex(chain_id);
}
std::string Store::layer_dir(const std::string& chain_id) const { return layer_path(chain_id) + "/diff"; }

bool Store::has_layer(const std::string& chain_id) const {
    return exists(layer_path(chain_id) + "/layer.json");
}

std::optional<LayerMeta> Store::layer_meta(const std::string& chain_id) const {
    std::string path = layer_path(chain_id) + "/layer.json";
    if (!exists(path)) return std::nullopt;
    return with_context("reading layer metadata " + path, [&] {
        try {
            return layer_meta_from_json(nlohmann::json::parse(read_file(path, 1 << 20)));
        } catch (const nlohmann::json::exception& e) {
            throw Error(e.what());
        }
    });
}

LayerTemp::LayerTemp(LayerTemp&& o) noexcept
    : path_(std::exchange(o.path_, std::string())),
      lock_fd_(std::move(o.lock_fd_)),
      diff_fd_(std::move(o.diff_fd_)),
      lease_(std::move(o.lease_)),
      remove_(std::move(o.remove_)),
      committed_(std::exchange(o.committed_, true)) {}

LayerTemp::~LayerTemp() {
    if (committed_ || path_.empty()) return;
    diff_fd_.reset();
    try {
        remove_(path_);
    } catch (...) {
        // Left for prune: nothing holds its lock once we are gone.
    }
}

LayerTemp Store::begin_layer() const {
    LayerTemp t;
    t.lease_.emplace(lease());
    t.remove_ = opts_.remove_layer_tree;
    FileLock guard = lock(); // see the header: temp entries appear locked
    std::string tmpl = layers_root() + "/tmp-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw_errno("creating a temporary layer directory in " + layers_root());
    t.path_ = tmpl;
    t.lock_fd_ = open_fd(t.path_, O_RDONLY | O_DIRECTORY);
    if (::flock(t.lock_fd_.get(), LOCK_EX | LOCK_NB) < 0) throw_errno("locking " + t.path_);
    if (::mkdirat(t.lock_fd_.get(), "diff", 0755) < 0) throw_errno("creating " + t.diff_dir());
    t.diff_fd_ = openat_fd(t.lock_fd_.get(), "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    return t;
}

void Store::commit_layer(LayerTemp&& tmp, const LayerMeta& meta) const {
    LayerTemp t = std::move(tmp); // destroyed (and removed unless committed) on every path out
    with_context("committing layer " + meta.chain_id, [&] {
        if (t.committed_ || t.path_.empty()) throw Error("layer temp directory already used");
        std::string expect = chain_id(meta.parent_chain_id, meta.diff_id);
        if (expect != meta.chain_id)
            throw Error("chain ID does not match parent " + meta.parent_chain_id + " and diff ID " + meta.diff_id);
        if (!meta.parent_chain_id.empty() && !has_layer(meta.parent_chain_id))
            throw Error("parent layer " + meta.parent_chain_id + " is not in the store");
        if (!meta.compressed_digest.empty()) Digest::parse(meta.compressed_digest);

        atomic_write_file(t.path_ + "/layer.json", to_json_value(meta).dump(2) + "\n", 0600);
        // One syncfs instead of an fsync per unpacked file: the layer must
        // be complete on disk before it appears under its final name.
        if (opts_.durable && ::syncfs(t.lock_fd_.get()) < 0) throw_errno("syncfs " + t.path_);

        std::string final_path = layer_path(meta.chain_id);
        FileLock guard = lock();
        if (has_layer(meta.chain_id)) return; // a concurrent pull won; ours is discarded
        if (exists(final_path)) {
            // A leftover without layer.json cannot be a committed layer.
            opts_.remove_layer_tree(final_path);
        }
        if (::rename(t.path_.c_str(), final_path.c_str()) < 0) throw_errno("renaming " + t.path_ + " into place");
        t.committed_ = true;
        UniqueFd dfd(::open(layers_root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (dfd) ::fsync(dfd.get());
    });
}

} // namespace skiff::storage
