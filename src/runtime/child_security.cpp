#include "runtime/child_security.hpp"

#include "util/error.hpp"

namespace skiff::runtime {

ChildSecurity prepare_child_security(const SecuritySpec& spec, bool non_root_user) {
    ChildSecurity s;
    int last = last_capability();
    s.caps = prepare_capabilities(capability_set_for_user(spec.caps, non_root_user), last);
    s.no_new_privs = spec.no_new_privs;
    if (spec.seccomp)
        s.seccomp = with_context("preparing the seccomp filter",
                                 [&] { return prepare_seccomp(spec.seccomp_profile, spec.caps, spec.seccomp_cache_dir); });
    return s;
}

} // namespace skiff::runtime
