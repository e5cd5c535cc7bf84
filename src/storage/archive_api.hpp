// libarchive, opened on first use (see util/dynlib.hpp): the functions skiff
// calls, as a table. Call them as archive_api().archive_read_new().
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "util/dynlib.hpp"

namespace skiff::storage {

#define SKIFF_ARCHIVE_FUNCTIONS(X) \
    X(archive_entry_atime) \
    X(archive_entry_atime_is_set) \
    X(archive_entry_atime_nsec) \
    X(archive_entry_copy_stat) \
    X(archive_entry_filetype) \
    X(archive_entry_free) \
    X(archive_entry_gid) \
    X(archive_entry_hardlink) \
    X(archive_entry_mtime) \
    X(archive_entry_mtime_is_set) \
    X(archive_entry_mtime_nsec) \
    X(archive_entry_new) \
    X(archive_entry_pathname) \
    X(archive_entry_perm) \
    X(archive_entry_rdevmajor) \
    X(archive_entry_rdevminor) \
    X(archive_entry_set_pathname) \
    X(archive_entry_set_size) \
    X(archive_entry_set_symlink) \
    X(archive_entry_size) \
    X(archive_entry_size_is_set) \
    X(archive_entry_symlink) \
    X(archive_entry_uid) \
    X(archive_entry_xattr_next) \
    X(archive_entry_xattr_reset) \
    X(archive_errno) \
    X(archive_error_string) \
    X(archive_read_data) \
    X(archive_read_data_block) \
    X(archive_read_free) \
    X(archive_read_new) \
    X(archive_read_next_header) \
    X(archive_read_open) \
    X(archive_read_open_fd) \
    X(archive_read_support_filter_bzip2) \
    X(archive_read_support_filter_gzip) \
    X(archive_read_support_filter_xz) \
    X(archive_read_support_filter_zstd) \
    X(archive_read_support_format_raw) \
    X(archive_read_support_format_tar) \
    X(archive_set_error) \
    X(archive_write_close) \
    X(archive_write_data) \
    X(archive_write_free) \
    X(archive_write_header) \
    X(archive_write_new) \
    X(archive_write_open_fd) \
    X(archive_write_set_bytes_in_last_block) \
    X(archive_write_set_format_pax_restricted) \

struct ArchiveApi {
    SKIFF_ARCHIVE_FUNCTIONS(SKIFF_DYNLIB_MEMBER)
};

// Loads libarchive the first time (thread-safe); throws Error if it cannot.
const ArchiveApi& archive_api();

} // namespace skiff::storage
