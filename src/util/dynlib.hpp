// Libraries that only some commands need are opened on first use instead of
// being linked: libcurl (registries), libarchive (layer tars), libslirp (the
// network helper) and libcrypto (digests). Linking them made every skiff
// process map some 45 shared objects before main(), about 25 ms here, which
// `skiff run`, `ps` and the helpers of a detached start paid for nothing.
//
// A library is opened with dlopen(RTLD_NOW | RTLD_LOCAL) and stays loaded
// for the life of the process: curl and OpenSSL register exit handlers and
// keep global state, so closing them is never safe.
//
// A library must be loaded before the process enters a container's mount
// namespace: after that, dlopen would look for it in the container's files
// and run the container's code with skiff's privileges. Code that joins one
// calls forbid_library_loading() first, and loads what it needs before that.
#pragma once

#include <string>

namespace skiff {

class DynLib {
public:
    // Opens soname; what says what it is needed for ("talking to
    // registries"). Throws Error naming the library and dlerror().
    DynLib(const char* soname, const char* what);

    // Sets fn to the address of symbol name; throws Error if it is missing.
    template <typename F>
    void bind(F*& fn, const char* name) const {
        fn = reinterpret_cast<F*>(address_of(name));
    }

private:
    void* address_of(const char* name) const;

    void* handle_;
    std::string soname_;
};

// A table of a library's functions is a struct with one member per function,
// declared from an X-macro list:
//   #define SKIFF_FOO_FUNCTIONS(X) X(foo_open) X(foo_close)
//   struct FooApi { SKIFF_FOO_FUNCTIONS(SKIFF_DYNLIB_MEMBER) };
// and filled by load_table<FooApi>(soname, what, [](const DynLib& lib, FooApi& t) {
//   SKIFF_FOO_FUNCTIONS(SKIFF_DYNLIB_BIND) });
#define SKIFF_DYNLIB_MEMBER(name) decltype(&::name) name;
#define SKIFF_DYNLIB_BIND(name) lib.bind(t.name, #name);

template <typename Table, typename BindAll>
Table load_table(const char* soname, const char* what, BindAll&& bind_all) {
    DynLib lib(soname, what);
    Table t{};
    bind_all(lib, t);
    return t;
}

// From now on every DynLib throws; reason names the step ("joining the
// container's mount namespace"). For processes that are about to enter a
// container's file system.
void forbid_library_loading(const char* reason) noexcept;

} // namespace skiff
