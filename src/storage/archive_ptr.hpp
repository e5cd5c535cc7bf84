// RAII owners for libarchive handles.
#pragma once

#include <memory>

#include <archive.h>

namespace skiff::storage {

struct ArchiveReadFree {
    void operator()(archive* a) const noexcept { archive_read_free(a); }
};
struct ArchiveWriteFree {
    void operator()(archive* a) const noexcept { archive_write_free(a); }
};

using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteFree>;

} // namespace skiff::storage
