#include "engine/layer_fetch.hpp"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <exception>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include "storage/layer_unpack.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace skiff::engine {

namespace {

// Tees a download into the blob writer and the unpacker's pipe. When the
// unpacker has stopped (EPIPE: it failed), the download goes on into the blob
// writer alone, so that the digest check still runs: content that does not
// match its digest is reported as that, not as whatever the decompressor or
// the tar parser tripped over in it.
class TeeSink : public BlobSink {
public:
    TeeSink(storage::BlobWriter* blob, int pipe_fd) : blob_(blob), pipe_(pipe_fd) {}
    void write(const char* data, size_t len) override {
        if (blob_ != nullptr) blob_->write(data, len);
        if (unpacker_gone_) return;
        try {
            write_all(pipe_, data, len);
        } catch (const Error& e) {
            if (e.error_number() != EPIPE) throw;
            unpacker_gone_ = true;
        }
    }

private:
    storage::BlobWriter* blob_;
    int pipe_;
    bool unpacker_gone_ = false;
};

// Commits layers base first, whatever order they finish in.
class CommitOrder {
public:
    explicit CommitOrder(size_t n) : done_(n, false) {}
    void wait_for(size_t i) {
        std::unique_lock l(mu_);
        cv_.wait(l, [&] { return failed_ || i == 0 || done_[i - 1]; });
        if (failed_) throw Error("cancelled: another layer failed");
    }
    void mark_done(size_t i) {
        std::lock_guard l(mu_);
        done_[i] = true;
        cv_.notify_all();
    }
    void fail() {
        std::lock_guard l(mu_);
        failed_ = true;
        cv_.notify_all();
    }
    bool failed() {
        std::lock_guard l(mu_);
        return failed_;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<bool> done_;
    bool failed_ = false;
};

void fetch_one(const storage::Store& store, RegistryClient& client, const LayerJob& job, size_t index,
               const FetchOptions& opts, PullProgress& progress, CommitOrder& order) {
    storage::LayerTemp tmp = store.begin_layer();
    storage::UnpackOptions uo;
    uo.whiteouts = storage::WhiteoutMode::overlay;
    uo.opaque_xattr = opts.rootless ? storage::OpaqueXattr::user : storage::OpaqueXattr::trusted;
    uo.compute_diff_id = true;

    storage::UnpackResult result;
    bool have_blob = store.has_blob(job.blob.digest);
    if (have_blob) {
        // A blob kept from an earlier pull (its layer was pruned, or the
        // unpack was interrupted): unpack from disk, no download.
        UniqueFd in = open_fd(store.blob_path(job.blob.digest), O_RDONLY);
        result = storage::unpack_layer(in.get(), tmp.diff_fd(), uo);
        progress.update(index, static_cast<uint64_t>(job.blob.size));
    } else {
        storage::BlobWriter blob =
            store.open_blob_writer(job.blob.digest, static_cast<uint64_t>(job.blob.size));
        Pipe pipe = Pipe::make();
        ::fcntl(pipe.write.get(), F_SETPIPE_SZ, 1 << 20);
        std::exception_ptr unpack_error;
        std::thread unpacker([&] {
            try {
                result = storage::unpack_layer(pipe.read.get(), tmp.diff_fd(), uo);
            } catch (...) {
                unpack_error = std::current_exception();
            }
            pipe.read.reset(); // a writer still going gets EPIPE and stops
        });
        std::exception_ptr download_error;
        try {
            TeeSink sink(&blob, pipe.write.get());
            client.get_blob(job.blob.digest, static_cast<uint64_t>(job.blob.size), sink,
                            [&](uint64_t done, uint64_t) { progress.update(index, done); });
        } catch (...) {
            download_error = std::current_exception();
        }
        pipe.write.reset();
        unpacker.join();
        // The download ran to its end (or failed) whatever the unpacker did:
        // a broken download (a digest mismatch, a short read) is the cause of
        // any unpack error that came with it; with a complete, verified
        // download, an unpack error is the tar's own (a hostile layer).
        if (download_error) std::rethrow_exception(download_error);
        if (unpack_error) std::rethrow_exception(unpack_error);
        blob.commit();
    }
    if (result.diff_id != job.diff_id)
        throw Error(fmt::format("layer {}: uncompressed content has digest {}, the image config says {}",
                                job.blob.digest.str(), result.diff_id, job.diff_id));
    if (result.chown_failures > 0)
        log::warn("layer {}: {} files could not get their owner (e.g. {}): IDs outside your mapping",
                  job.blob.digest.short_str(), result.chown_failures, result.first_chown_failure);
    storage::LayerMeta meta;
    meta.chain_id = job.chain_id;
    meta.parent_chain_id = job.parent_chain_id;
    meta.diff_id = job.diff_id;
    meta.compressed_digest = job.blob.digest.str();
    meta.compressed_size = static_cast<uint64_t>(job.blob.size);
    meta.size = result.bytes;
    meta.chown_failures = result.chown_failures;
    order.wait_for(index);
    store.commit_layer(std::move(tmp), meta);
}

} // namespace

void fetch_layers(const storage::Store& store, RegistryClient& client, const std::vector<LayerJob>& jobs,
                  const FetchOptions& opts, PullProgress& progress) {
    // A reader that goes away (a failed unpack) must not kill us with SIGPIPE.
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    struct sigaction old {};
    ::sigaction(SIGPIPE, &ign, &old);

    std::vector<std::string> names;
    std::vector<uint64_t> sizes;
    for (const auto& j : jobs) {
        names.push_back(j.blob.digest.short_str());
        sizes.push_back(static_cast<uint64_t>(j.blob.size));
    }
    progress.start(names, sizes);

    CommitOrder order(jobs.size());
    std::atomic<size_t> next{0};
    std::mutex err_mu;
    std::exception_ptr first_error;
    size_t fetched = 0, reused = 0;
    std::mutex count_mu;
    auto worker = [&] {
        for (;;) {
            size_t i = next.fetch_add(1);
            if (i >= jobs.size() || order.failed()) return;
            try {
                if (store.has_layer(jobs[i].chain_id)) {
                    progress.finish_layer(i, "exists");
                    order.wait_for(i);
                    order.mark_done(i);
                    std::lock_guard l(count_mu);
                    ++reused;
                    continue;
                }
                fetch_one(store, client, jobs[i], i, opts, progress, order);
                progress.finish_layer(i, "done");
                order.mark_done(i);
                std::lock_guard l(count_mu);
                ++fetched;
            } catch (Error& e) {
                e.context(fmt::format("layer {}", jobs[i].blob.digest.str()));
                progress.finish_layer(i, "failed");
                std::lock_guard l(err_mu);
                if (!first_error) first_error = std::current_exception();
                order.fail();
            } catch (...) {
                progress.finish_layer(i, "failed");
                std::lock_guard l(err_mu);
                if (!first_error) first_error = std::current_exception();
                order.fail();
            }
        }
    };
    size_t n = std::max<size_t>(1, std::min(opts.parallel, jobs.size()));
    std::vector<std::thread> threads;
    for (size_t t = 0; t < n; ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    ::sigaction(SIGPIPE, &old, nullptr);
    if (first_error) {
        // The first failure, not a "cancelled" that followed it.
        std::rethrow_exception(first_error);
    }
    progress.finish(fetched, reused);
}

} // namespace skiff::engine
