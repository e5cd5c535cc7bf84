// The per-user, content-addressed image store under one root directory
// (the CLI passes $XDG_DATA_HOME/skiff):
//
//   store.lock                  flock: held by every mutation
//   lease.lock                  flock: shared by pulls in flight, see lease()
//   blobs/<alg>/<hex>           verified blobs (manifests, configs, layers)
//   layers/<chain-hex>/diff/    one unpacked layer (overlay whiteout format)
//   layers/<chain-hex>/layer.json
//   layers/tmp-XXXXXX/          a layer being unpacked (flocked by its owner)
//   images/<config-hex>.json    image records; the image ID is the config digest
//   images/names.json           tag index: reference -> image ID
//   tmp/blob-XXXXXX             blobs being downloaded (flocked by their owner)
//
// Every file write is atomic (temp + fsync + rename); every mutation holds
// store.lock; readers take no lock (they only ever see whole files).
// Temp entries are created and flocked while store.lock is held, and prune
// holds store.lock, so prune only ever sees temp entries whose owner is gone
// or still holding them.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "image/digest.hpp"
#include "storage/blob_writer.hpp"
#include "storage/store_types.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"

namespace skiff::storage {

struct StoreOptions {
    // Chain IDs in use by containers (their rootfs stacks): never deleted.
    // Default: none. The container store plugs in here.
    std::function<std::set<std::string>()> layers_in_use;
    // Removes a layer directory tree. Default: in-process remove_tree().
    // Rootless callers route this through a helper inside the user's ID
    // mapping, since the files belong to subordinate IDs.
    std::function<void(const std::string& path)> remove_layer_tree;
    // syncfs() an unpacked layer before committing it under its final name.
    bool durable = true;
};

// A layer directory being unpacked. Unpack into diff_fd() / diff_dir(),
// then hand it to Store::commit_layer. Destroying it uncommitted removes it.
class LayerTemp {
public:
    LayerTemp(LayerTemp&& o) noexcept;
    LayerTemp& operator=(LayerTemp&&) = delete;
    ~LayerTemp();

    const std::string& path() const noexcept { return path_; }
    std::string diff_dir() const { return path_ + "/diff"; }
    int diff_fd() const noexcept { return diff_fd_.get(); }

private:
    friend class Store;
    LayerTemp() = default;
    std::string path_;
    UniqueFd lock_fd_; // the temp dir itself, flocked LOCK_EX
    UniqueFd diff_fd_;
    std::optional<FileLock> lease_;
    std::function<void(const std::string&)> remove_;
    bool committed_ = false;
};

struct RemoveReport {
    std::vector<std::string> layers_removed; // chain IDs
    std::vector<std::string> blobs_removed;  // digests
    bool gc_deferred = false; // a pull held a lease: content left for prune
};

struct PruneReport {
    std::vector<std::string> temps_removed; // names under tmp/ and layers/
    std::vector<std::string> layers_removed;
    std::vector<std::string> blobs_removed;
    bool gc_skipped = false; // a pull held a lease: unreferenced content kept
};

class Store {
public:
    // Creates the directory layout if needed.
    explicit Store(std::string root, StoreOptions opts = {});

    const std::string& root() const noexcept { return root_; }

    // The exclusive store lock every mutation takes (blocking).
    FileLock lock() const;
    // A shared lease: hold it from the first blob of a pull until put_image.
    // While any lease is held, remove_image and prune delete no blob or
    // layer (content committed by the pull is not referenced by a record
    // yet). BlobWriter and LayerTemp hold one for their own life as well.
    FileLock lease() const;

    // --- blobs
    bool has_blob(const Digest& d) const;
    std::string blob_path(const Digest& d) const;
    // expected_size: cut the writer off if more bytes arrive.
    BlobWriter open_blob_writer(const Digest& expected, std::optional<uint64_t> expected_size = std::nullopt) const;
    // Small blobs (manifests, configs), verified against d as they are read.
    std::string read_blob(const Digest& d, size_t max_bytes = 16u << 20) const;
    // The same without hashing, for the image config that create/run read on
    // every start: blobs are verified before they are renamed into the store,
    // and hashing here would load libcrypto for nothing (as containers-storage,
    // the store trusts its own committed content).
    std::string read_committed_blob(const Digest& d, size_t max_bytes = 16u << 20) const;

    // --- layers (by chain ID, "sha256:<hex>")
    bool has_layer(const std::string& chain_id) const;
    std::string layer_path(const std::string& chain_id) const; // layers/<hex>
    std::string layer_dir(const std::string& chain_id) const;  // layers/<hex>/diff
    std::optional<LayerMeta> layer_meta(const std::string& chain_id) const;
    LayerTemp begin_layer() const;
    // Checks meta (chain_id == chainid(parent, diff_id)), writes layer.json,
    // syncs and renames the temp dir to layers/<hex>. If another pull got
    // there first, the temp dir is discarded and that layer is kept.
    void commit_layer(LayerTemp&& tmp, const LayerMeta& meta) const;

    // --- images
    // Writes (or merges into) the record: tags and repo digests are unioned
    // with an existing record of the same ID, tags move away from any other
    // image holding them. Every layer must exist. Returns the stored record.
    ImageRecord put_image(const ImageRecord& record) const;
    std::optional<ImageRecord> image(const std::string& id) const;   // by full ID
    std::optional<ImageRecord> lookup_name(const std::string& ref) const; // tag or repo digest
    // "sha256:" optional, hex prefix. nullopt if none; throws Error if
    // the prefix matches more than one image.
    std::optional<ImageRecord> lookup_id_prefix(const std::string& prefix) const;
    std::vector<ImageRecord> list_images() const;
    std::vector<std::pair<std::string, std::string>> names() const; // ref -> id

    void tag(const std::string& id, const std::string& ref) const;
    bool untag(const std::string& ref) const; // false if it was not a tag
    // Deletes the record and its names; then its layers and blobs that no
    // other image (nor a container) references. Throws if id is unknown.
    RemoveReport remove_image(const std::string& id) const;
    // Removes orphaned temp entries, and unreferenced layers and blobs.
    PruneReport prune() const;

private:
    friend class BlobWriter;
    std::string images_dir() const { return root_ + "/images"; }
    std::string image_file(const std::string& id) const;
    std::string names_file() const { return root_ + "/images/names.json"; }
    std::string layers_root() const { return root_ + "/layers"; }
    std::string tmp_dir() const { return root_ + "/tmp"; }

    // The rest assume store.lock is held.
    std::map<std::string, std::string> read_names() const;
    void write_names(const std::map<std::string, std::string>& names) const;
    void write_image(const ImageRecord& r) const;
    std::set<std::string> referenced_layers(const std::vector<ImageRecord>& images) const;
    std::set<std::string> referenced_blobs(const std::vector<ImageRecord>& images) const;
    bool delete_layer(const std::string& chain_id) const;
    bool delete_blob(const std::string& digest) const;

    std::string root_;
    StoreOptions opts_;
};

} // namespace skiff::storage
