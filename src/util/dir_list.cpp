#include "util/dir_list.hpp"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <memory>

#include "util/error.hpp"

namespace skiff {

std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> out;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) {
        if (errno == ENOENT) return out;
        throw_errno("listing " + dir);
    }
    while (dirent* e = ::readdir(d.get())) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(std::move(n));
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace skiff
