// The compiled default seccomp program, kept per user in the runroot.
//
// Compiling the default profile's ~350 rules with libseccomp costs a few
// milliseconds and over a MiB of memory at every start and exec; the
// program only changes with what it was built from. The cache key names
// all of it: the skiff binary (device, inode, size, mtime: a new build or
// an upgrade is a new key), the capability set (rules depend on it), the
// running kernel (rules depend on its version) and the architecture. A
// cache file that is absent, from another key, or malformed is replaced by
// a fresh compilation; a failure to write it only costs the next start the
// same compilation. The directory is the user's own (the runroot is 0700).
#pragma once

#include <string>

#include "runtime/capabilities.hpp"
#include "runtime/seccomp_profile.hpp"

namespace skiff::runtime {

// The default profile's program for these capabilities, from dir when a
// matching copy is there, else compiled and stored there. An empty dir
// means no cache.
PreparedSeccomp default_seccomp_cached(const std::string& dir, CapMask caps);

// The key for the running binary and kernel (exposed for tests).
std::string seccomp_cache_key(CapMask caps);

} // namespace skiff::runtime
