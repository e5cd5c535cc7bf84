#include "util/dynlib.hpp"

#include <dlfcn.h>

#include "util/error.hpp"

namespace skiff {

DynLib::DynLib(const char* soname, const char* what) : handle_(dlopen(soname, RTLD_NOW | RTLD_LOCAL)), soname_(soname) {
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
