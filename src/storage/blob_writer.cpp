#include "storage/blob_writer.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "storage/store.hpp"
#include "util/error.hpp"

namespace skiff::storage {

BlobWriter::BlobWriter(const Store& store, Digest expected, std::optional<uint64_t> expected_size)
    : store_(&store),
      expected_(std::move(expected)),
      expected_size_(expected_size),
      hasher_(Hasher::for_digest(expected_)),
      lease_(store.lease()) {
    // Created and flocked under the store lock: prune (which holds it too)
    // can never see this file unlocked while we are alive.
    FileLock guard = store.lock();
    tmp_path_ = store.tmp_dir() + "/blob-XXXXXX";
    int raw = ::mkostemp(tmp_path_.data(), O_CLOEXEC);
    if (raw < 0) throw_errno("creating a temporary blob file in " + store.tmp_dir());
    fd_.reset(raw);
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        ::unlink(tmp_path_.c_str());
        throw_errno("locking " + tmp_path_, err);
    }
}

BlobWriter::BlobWriter(BlobWriter&& o) noexcept
    : store_(o.store_),
      expected_(std::move(o.expected_)),
      expected_size_(o.expected_size_),
      hasher_(std::move(o.hasher_)),
      tmp_path_(std::move(o.tmp_path_)),
      fd_(std::move(o.fd_)),
      lease_(std::move(o.lease_)),
      size_(o.size_),
      done_(o.done_) {
    o.done_ = true;
}

BlobWriter::~BlobWriter() {
    if (!done_ && !tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

void BlobWriter::write(const void* data, size_t len) {
    if (done_) throw Error("writing to a finished blob writer");
    if (expected_size_ && size_ + len > *expected_size_)
        throw Error("blob " + expected_.short_str() + ": more than the expected " +
                    std::to_string(*expected_size_) + " bytes");
    hasher_.update(data, len);
    with_context("writing " + tmp_path_, [&] { write_all(fd_.get(), data, len); });
    size_ += len;
}

std::string BlobWriter::commit() {
    if (done_) throw Error("committing a finished blob writer");
    done_ = true; // from here on the temp file is ours to delete
    struct Unlink {
        const std::string& p;
        bool keep = false;
        ~Unlink() {
            if (!keep) ::unlink(p.c_str());
        }
    } unlink_tmp{tmp_path_};

    Digest got = hasher_.finish();
    if (got != expected_)
        throw Error("blob digest mismatch: expected " + expected_.str() + ", got " + got.str());
    if (expected_size_ && size_ != *expected_size_)
        throw Error("blob " + expected_.short_str() + ": size mismatch: expected " +
                    std::to_string(*expected_size_) + " bytes, got " + std::to_string(size_));
    if (::fsync(fd_.get()) < 0) throw_errno("fsync " + tmp_path_);

    std::string final_path = store_->blob_path(expected_);
    {
        FileLock guard = store_->lock();
        if (::rename(tmp_path_.c_str(), final_path.c_str()) < 0)
            throw_errno("moving blob " + expected_.short_str() + " into place");
        unlink_tmp.keep = true;
    }
    fd_.reset();
    std::string dir = final_path.substr(0, final_path.rfind('/'));
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd) ::fsync(dfd.get());
    return final_path;
}

} // namespace skiff::storage
