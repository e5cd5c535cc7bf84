#include "util/dynlib.hpp"

#include <dlfcn.h>

#include "util/error.hpp"

namespace skiff {

namespace {
const char* forbidden_because = nullptr;
} // namespace

void forbid_library_loading(const char* reason) noexcept { forbidden_because = reason; }

DynLib::DynLib(const char* soname, const char* what) : handle_(nullptr), soname_(soname) {
    if (forbidden_because != nullptr)
        throw Error(std::string("refusing to load ") + soname + " (needed for " + what + ") after " +
                    forbidden_because + ": it would come from the container's files");
    handle_ = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
        const char* why = dlerror();
        throw Error(std::string("cannot load ") + soname + ", needed for " + what + ": " +
                    (why != nullptr ? why : "unknown error") + " (is the package that provides it installed?)");
    }
}

void* DynLib::address_of(const char* name) const {
    dlerror();
    void* p = dlsym(handle_, name);
    if (p == nullptr) {
        const char* why = dlerror();
        throw Error("symbol " + std::string(name) + " missing from " + soname_ + (why != nullptr ? std::string(": ") + why : ""));
    }
    return p;
}

} // namespace skiff
