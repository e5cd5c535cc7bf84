// Test helpers for the storage tests: an in-memory tar builder (libarchive's
// write API) and a scratch directory that cleans up after itself.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string>
#include <sys/stat.h>

#include "storage/archive_ptr.hpp"
#include "storage/root_fs.hpp"

namespace skiff::testing {

struct ScratchDir {
    std::string path;
    explicit ScratchDir(const char* prefix = "skiff-storage-test") {
        std::string tmpl = std::string("/tmp/") + prefix + "-XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~ScratchDir() {
        try {
            skiff::storage::remove_tree(path);
        } catch (...) {
        }
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    std::string operator/(const std::string& rel) const { return path + "/" + rel; }
};

enum class Compression { none, gzip, zstd };

struct TarAttrs {
    unsigned mode = 0644;
    long uid = 0;
    long gid = 0;
    time_t mtime = 1700000000;
};

class TarBuilder {
public:
    explicit TarBuilder(Compression c = Compression::none) : w_(archive_write_new()) {
        archive_write_set_format_pax_restricted(w_.get());
        if (c == Compression::gzip) archive_write_add_filter_gzip(w_.get());
        if (c == Compression::zstd) archive_write_add_filter_zstd(w_.get());
        archive_write_set_bytes_in_last_block(w_.get(), 1);
        if (archive_write_open(w_.get(), &out_, nullptr, &TarBuilder::on_write, nullptr) != ARCHIVE_OK)
            throw std::runtime_error(archive_error_string(w_.get()));
    }

    TarBuilder& file(const std::string& name, const std::string& content, TarAttrs a = {},
                     const std::string& xattr_name = "", const std::string& xattr_value = "") {
        Entry e(name, AE_IFREG, a);
        archive_entry_set_size(e.e, static_cast<la_int64_t>(content.size()));
        if (!xattr_name.empty())
            archive_entry_xattr_add_entry(e.e, xattr_name.c_str(), xattr_value.data(), xattr_value.size());
        put(e.e, content);
        return *this;
    }
    TarBuilder& dir(const std::string& name, TarAttrs a = {0755, 0, 0, 1700000000}) {
        Entry e(name, AE_IFDIR, a);
        put(e.e);
        return *this;
    }
    TarBuilder& symlink(const std::string& name, const std::string& target) {
        Entry e(name, AE_IFLNK, {0777, 0, 0, 1700000000});
        archive_entry_set_symlink(e.e, target.c_str());
        put(e.e);
        return *this;
    }
    TarBuilder& hardlink(const std::string& name, const std::string& target) {
        Entry e(name, AE_IFREG, {});
        archive_entry_set_hardlink(e.e, target.c_str());
        archive_entry_set_size(e.e, 0);
        put(e.e);
        return *this;
    }
    TarBuilder& special(const std::string& name, unsigned type, unsigned major = 0, unsigned minor = 0) {
        Entry e(name, type, {0644, 0, 0, 1700000000});
        archive_entry_set_rdevmajor(e.e, major);
        archive_entry_set_rdevminor(e.e, minor);
        put(e.e);
        return *this;
    }

    std::string finish() {
        if (archive_write_close(w_.get()) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(w_.get()));
        return out_;
    }

private:
    struct Entry {
        archive_entry* e;
        Entry(const std::string& name, unsigned type, TarAttrs a) : e(archive_entry_new()) {
            archive_entry_set_pathname(e, name.c_str());
            archive_entry_set_filetype(e, type);
            archive_entry_set_perm(e, a.mode);
            archive_entry_set_uid(e, a.uid);
            archive_entry_set_gid(e, a.gid);
            archive_entry_set_mtime(e, a.mtime, 0);
        }
        ~Entry() { archive_entry_free(e); }
        Entry(const Entry&) = delete;
        Entry& operator=(const Entry&) = delete;
    };

    void put(archive_entry* e, const std::string& data = "") {
        if (archive_write_header(w_.get(), e) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(w_.get()));
        if (!data.empty() &&
            archive_write_data(w_.get(), data.data(), data.size()) != static_cast<la_ssize_t>(data.size()))
            throw std::runtime_error(archive_error_string(w_.get()));
    }

    static la_ssize_t on_write(archive*, void* client, const void* buf, size_t len) {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buf), len);
        return static_cast<la_ssize_t>(len);
    }

    std::string out_;
    skiff::storage::ArchiveWriter w_;
};

} // namespace skiff::testing
