// Writing one blob into the store: bytes go to a temp file under tmp/
// (flocked for its whole life, so prune never takes it from under us) while
// being hashed; commit() checks the digest (and size, if known), fsyncs and
// renames into blobs/<alg>/<hex>. A mismatch throws and leaves nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "image/digest.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"

namespace skiff::storage {

class Store;

// The Store it came from must outlive it.
class BlobWriter {
public:
    BlobWriter(BlobWriter&&) noexcept;
    BlobWriter& operator=(BlobWriter&&) = delete;
    BlobWriter(const BlobWriter&) = delete;
    BlobWriter& operator=(const BlobWriter&) = delete;
    ~BlobWriter(); // removes the temp file unless committed

    // Throws Error if the bytes exceed the expected size (a registry that
    // sends more than the manifest announced is cut off early).
    void write(const void* data, size_t len);
    void write(std::string_view s) { write(s.data(), s.size()); }
    uint64_t size() const noexcept { return size_; }
    const Digest& expected() const noexcept { return expected_; }

    // Verifies and moves the blob into place; returns its final path.
    // Throws Error ("digest mismatch: expected ..., got ...") otherwise; the
    // temp file is gone either way.
    std::string commit();

private:
    friend class Store;
    BlobWriter(const Store& store, Digest expected, std::optional<uint64_t> expected_size);

    const Store* store_;
    Digest expected_;
    std::optional<uint64_t> expected_size_;
    Hasher hasher_;
    std::string tmp_path_;
    UniqueFd fd_; // flocked LOCK_EX: "in use"
    FileLock lease_;
    uint64_t size_ = 0;
    bool done_ = false;
};

} // namespace skiff::storage
