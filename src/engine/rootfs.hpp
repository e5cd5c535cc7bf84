// A container's root file system from the image's layers, by the storage
// driver `skiff info` reports (or, for an existing container, the one it was
// created with): overlay or fuse-overlayfs (the layers as lower dirs, the
// container's own upper/work), or vfs (every layer unpacked into a private
// copy). And the removal of a container's files, which rootless may belong
// to subordinate IDs.
#pragma once

#include <string>

#include "config/config.hpp"
#include "config/paths.hpp"
#include "engine/container_store.hpp"
#include "runtime/container_spec.hpp"
#include "storage/store.hpp"

namespace skiff::engine {

runtime::RootfsSpec prepare_rootfs(const Paths& paths, const Config& config, const storage::Store& store,
                                   const storage::ImageRecord& image, const std::string& container_dir,
                                   bool read_only, const std::string& recorded_driver = "");

void remove_container_files(const Paths& paths, ContainerStore& containers, const std::string& id);

} // namespace skiff::engine
