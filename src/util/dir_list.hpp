// The names in a directory, sorted, without "." and "..". A missing
// directory has none; any other failure throws Error naming it.
#pragma once

#include <string>
#include <vector>

namespace skiff {

std::vector<std::string> list_dir(const std::string& dir);
// The same for an open directory; dirfd stays open and usable.
std::vector<std::string> list_dir(int dirfd);

} // namespace skiff
