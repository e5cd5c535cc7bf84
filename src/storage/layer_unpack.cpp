// The stream plumbing of layer unpack. Two libarchive readers are chained:
// the inner one detects and removes the compression ("raw" format, so its
// data is the uncompressed tar, which we hash into the diff ID on the way),
// the outer one parses that tar. Exceptions never cross libarchive's C
// callbacks: they are parked and rethrown once libarchive returns.
#include "storage/layer_unpack.hpp"

#include <cerrno>
#include <exception>
#include <optional>
#include <unistd.h>
#include <vector>

#include "storage/archive_ptr.hpp"
#include "storage/root_fs.hpp"
#include "storage/unpack_internal.hpp"
#include "image/digest.hpp"
#include "util/error.hpp"

namespace skiff::storage {

namespace {

constexpr size_t kBlock = 128 * 1024;

struct Source {
    ArchiveReader inner;
    const LayerReadFn* read_fn = nullptr;
    std::vector<char> in_buf;
    std::vector<char> out_buf;
    std::optional<Sha256> hash;
    uint64_t total = 0;
    bool eof = false;
    std::exception_ptr error;
};

[[noreturn]] void throw_archive(archive* a, const std::string& what) {
    const char* msg = archive_api().archive_error_string(a);
    throw Error(what + ": " + (msg ? msg : "unknown libarchive error"), archive_api().archive_errno(a) > 0 ? archive_api().archive_errno(a) : 0);
}

la_ssize_t inner_read(archive* a, void* client, const void** buf) {
    auto* src = static_cast<Source*>(client);
    try {
        size_t n = (*src->read_fn)(src->in_buf.data(), src->in_buf.size());
        *buf = src->in_buf.data();
        return static_cast<la_ssize_t>(n);
    } catch (...) {
        src->error = std::current_exception();
        archive_api().archive_set_error(a, EIO, "layer read callback failed");
        return -1;
    }
}

// Produces the next chunk of uncompressed tar for the outer reader.
size_t pull_plain(Source& src, archive* outer) {
    if (src.eof) return 0;
    la_ssize_t n = archive_api().archive_read_data(src.inner.get(), src.out_buf.data(), src.out_buf.size());
    if (n < 0) {
        const char* msg = archive_api().archive_error_string(src.inner.get());
        if (outer)
            archive_api().archive_set_error(outer, archive_api().archive_errno(src.inner.get()) > 0 ? archive_api().archive_errno(src.inner.get()) : EIO,
                              "%s", msg ? msg : "decompression failed");
        else if (src.error)
            std::rethrow_exception(src.error);
        else
            throw_archive(src.inner.get(), "decompressing the layer");
        return static_cast<size_t>(-1);
    }
    if (n == 0) {
        src.eof = true;
        return 0;
    }
    if (src.hash) src.hash->update(src.out_buf.data(), static_cast<size_t>(n));
    src.total += static_cast<uint64_t>(n);
    return static_cast<size_t>(n);
}

la_ssize_t outer_read(archive* a, void* client, const void** buf) {
    auto* src = static_cast<Source*>(client);
    try {
        size_t n = pull_plain(*src, a);
        if (n == static_cast<size_t>(-1)) return -1;
        *buf = src->out_buf.data();
        return static_cast<la_ssize_t>(n);
    } catch (...) {
        src->error = std::current_exception();
        archive_api().archive_set_error(a, EIO, "hashing the layer failed");
        return -1;
    }
}

void open_inner(Source& src, int fd, const LayerReadFn* fn) {
    src.inner.reset(archive_api().archive_read_new());
    archive* a = src.inner.get();
    if (!a) throw Error("allocating a libarchive reader", ENOMEM);
    // Explicit filters rather than _all: _all would fork external programs
    // (lzop, lrzip, ...) for formats no registry serves.
    archive_api().archive_read_support_filter_gzip(a);
    archive_api().archive_read_support_filter_zstd(a);
    archive_api().archive_read_support_filter_xz(a);
    archive_api().archive_read_support_filter_bzip2(a);
    archive_api().archive_read_support_format_raw(a);
    int r;
    if (fn) {
        src.read_fn = fn;
        src.in_buf.resize(kBlock);
        r = archive_api().archive_read_open(a, &src, nullptr, inner_read, nullptr);
    } else {
        r = archive_api().archive_read_open_fd(a, fd, kBlock);
    }
    if (src.error) std::rethrow_exception(src.error);
    if (r != ARCHIVE_OK) throw_archive(a, "opening the layer stream");
    archive_entry* e = nullptr;
    r = archive_api().archive_read_next_header(a, &e);
    if (src.error) std::rethrow_exception(src.error);
    if (r == ARCHIVE_EOF) throw Error("the layer stream is empty");
    if (r < ARCHIVE_WARN) throw_archive(a, "reading the layer stream");
}

bool is_whiteout(const std::string& base) { return base.size() >= 4 && base.compare(0, 4, ".wh.") == 0; }

void process_entry(detail::UnpackContext& ctx, archive* a, archive_entry* e, const std::string& rel) {
    auto [parent, base] = split_parent(rel);
    if (!is_whiteout(base)) {
        detail::write_entry(ctx, a, e, rel);
        return;
    }
    if (base == ".wh..wh..opq") {
        detail::apply_opaque(ctx, parent);
        return;
    }
    if (base.compare(0, 8, ".wh..wh.") == 0) return; // aufs bookkeeping (.wh..wh.plnk etc.)
    std::string name = base.substr(4);
    if (name.empty() || name == "." || name == "..") throw Error("malformed whiteout", EINVAL);
    detail::apply_whiteout(ctx, parent, name);
}

UnpackResult run(Source& src, int target_dirfd, const UnpackOptions& opts) {
    src.out_buf.resize(kBlock);
    if (opts.compute_diff_id) src.hash.emplace();

    ArchiveReader outer(archive_api().archive_read_new());
    archive* a = outer.get();
    if (!a) throw Error("allocating a libarchive reader", ENOMEM);
    archive_api().archive_read_support_format_tar(a); // also reads gnutar and pax
    if (archive_api().archive_read_open(a, &src, nullptr, outer_read, nullptr) != ARCHIVE_OK) {
        if (src.error) std::rethrow_exception(src.error);
        throw_archive(a, "opening the layer tar");
    }

    UnpackResult result;
    detail::UnpackContext ctx{target_dirfd, opts, result, {}, {}, {}};
    for (;;) {
        archive_entry* e = nullptr;
        int r = archive_api().archive_read_next_header(a, &e);
        if (src.error) std::rethrow_exception(src.error);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) throw_archive(a, "reading the layer tar");
        const char* raw_name = archive_api().archive_entry_pathname(e);
        std::string name = raw_name ? raw_name : "";
        std::string rel = clean_entry_path(name); // its error names the entry
        with_context("layer entry '" + name + "'", [&] { process_entry(ctx, a, e, rel); });
        if (src.error) std::rethrow_exception(src.error);
        result.entries++;
    }
    detail::finish_dirs(ctx);

    // The diff ID covers the whole stream, including padding after the tar's
    // end-of-archive blocks.
    while (pull_plain(src, nullptr) > 0) {
    }
    result.tar_bytes = src.total;
    if (src.hash) result.diff_id = src.hash->finish().str();
    return result;
}

} // namespace

UnpackResult unpack_layer(int input_fd, int target_dirfd, const UnpackOptions& opts) {
    Source src;
    open_inner(src, input_fd, nullptr);
    return run(src, target_dirfd, opts);
}

UnpackResult unpack_layer(const LayerReadFn& read, int target_dirfd, const UnpackOptions& opts) {
    Source src;
    open_inner(src, -1, &read);
    return run(src, target_dirfd, opts);
}

} // namespace skiff::storage
