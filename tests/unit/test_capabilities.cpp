// runtime/capabilities: names, --cap-add/--cap-drop/--privileged resolution,
// the capset data, and applying a set in a forked child.
#include <catch2/catch.hpp>

#include <sys/capability.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>

#include "runtime/capabilities.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

using namespace skiff;
using namespace skiff::runtime;

namespace {

CapMask caps_of(std::initializer_list<int> caps) {
    CapMask m = 0;
    for (int c : caps) m |= cap_bit(c);
    return m;
}

CapMask resolve(std::vector<std::string> add, std::vector<std::string> drop, bool privileged = false,
                int last_cap = 40) {
    CapabilityOptions o;
    o.add = std::move(add);
    o.drop = std::move(drop);
    o.privileged = privileged;
    return resolve_capabilities(o, last_cap);
}

// CapInh/CapPrm/CapEff/CapBnd/CapAmb of /proc/self/status.
std::map<std::string, CapMask> proc_caps(const std::string& status) {
    std::map<std::string, CapMask> out;
    std::istringstream in(status);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.starts_with("Cap")) continue;
        auto colon = line.find(':');
        out[line.substr(0, colon)] = std::strtoull(line.c_str() + colon + 1, nullptr, 16);
    }
    return out;
}

struct ChildCaps {
    int status = -1;      // wait status
    std::string report;   // "OK\n<status>" or "FAIL <step> <errno>"
};

// Forks; the child optionally switches to uid/gid 65534 (with or without
// keepcaps), applies caps and reports /proc/self/status over a pipe.
ChildCaps apply_in_child(const PreparedCaps& caps, bool switch_user, bool keepcaps) {
    Pipe p = Pipe::make();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        p.read.reset();
        if (switch_user) {
            if (keepcaps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) _exit(10);
            gid_t none[1] = {65534};
            if (setgroups(1, none) != 0 || setresgid(65534, 65534, 65534) != 0 ||
                setresuid(65534, 65534, 65534) != 0)
                _exit(11);
        }
        const char* step = nullptr;
        int err = apply_capabilities(caps, &step);
        std::string out;
        if (err != 0) {
            out = std::string("FAIL ") + (step ? step : "?") + " " + std::to_string(err);
        } else {
            try {
                out = "OK\n" + read_file("/proc/self/status");
            } catch (...) {
                _exit(12);
            }
        }
        ssize_t n = ::write(p.write.get(), out.data(), out.size());
        _exit(n == static_cast<ssize_t>(out.size()) ? 0 : 13);
    }
    p.write.reset();
    ChildCaps r;
    r.report = read_all(p.read.get());
    REQUIRE(::waitpid(pid, &r.status, 0) == pid);
    return r;
}

} // namespace

TEST_CASE("capability names parse with or without CAP_, in any case", "[capabilities]") {
    struct {
        const char* name;
        std::optional<int> cap;
    } table[] = {
        {"CAP_CHOWN", 0},
        {"chown", 0},
        {"cap_chown", 0},
        {"Cap_Sys_Admin", 21},
        {"SYS_ADMIN", 21},
        {"net_bind_service", 10},
        {"NET_RAW", 13},
        {"CAP_AUDIT_READ", 37},
        {"perfmon", 38},
        {"bpf", 39},
        {"CAP_CHECKPOINT_RESTORE", 40},
        {"CAP_FOO", std::nullopt},
        {"ALL", std::nullopt},
        {"CAP_", std::nullopt},
        {"", std::nullopt},
        {" CAP_CHOWN", std::nullopt},
    };
    for (const auto& t : table) {
        INFO(t.name);
        CHECK(capability_from_name(t.name) == t.cap);
    }
}

TEST_CASE("capability names agree with libcap", "[capabilities]") {
    for (int cap = 0; cap <= 40; ++cap) {
        std::string name = capability_name(cap);
        INFO(name);
        REQUIRE(name.starts_with("CAP_"));
        CHECK(capability_from_name(name) == cap);
        cap_value_t v = -1;
        if (cap <= CAP_LAST_CAP) {
            REQUIRE(cap_from_name(name.c_str(), &v) == 0);
            CHECK(v == cap);
        }
    }
    CHECK(capability_name(45) == "CAP_45");
}

TEST_CASE("the default set is podman's", "[capabilities]") {
    CHECK(capability_names(default_capabilities()) ==
          std::vector<std::string>{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                                   "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                                   "CAP_SYS_CHROOT", "CAP_SETFCAP"});
}

TEST_CASE("all capabilities follow cap_last_cap", "[capabilities]") {
    CHECK(all_capabilities(40) == 0x1ffffffffffull);
    CHECK(all_capabilities(37) == 0x3fffffffffull);
    CHECK(all_capabilities(63) == ~CapMask{0});
    int last = last_capability();
    CHECK(last >= 36);
    CHECK(last <= 63);
}

TEST_CASE("--cap-add/--cap-drop follow docker's rules", "[capabilities]") {
    const CapMask def = default_capabilities();
    const CapMask all = all_capabilities(40);

    SECTION("nothing given: the default set") { CHECK(resolve({}, {}) == def); }
    SECTION("drop one, add one") {
        CHECK(resolve({"sys_admin"}, {"CAP_CHOWN"}) == ((def & ~cap_bit(CAP_CHOWN)) | cap_bit(CAP_SYS_ADMIN)));
    }
    SECTION("adding one already present changes nothing") { CHECK(resolve({"KILL"}, {}) == def); }
    SECTION("drop ALL then add X gives only X") {
        CHECK(resolve({"NET_RAW"}, {"ALL"}) == caps_of({CAP_NET_RAW}));
        CHECK(resolve({"net_raw", "cap_kill"}, {"all"}) == caps_of({CAP_NET_RAW, CAP_KILL}));
        CHECK(resolve({}, {"ALL"}) == 0);
    }
    SECTION("add ALL gives every capability of the kernel, minus drops") {
        CHECK(resolve({"ALL"}, {}) == all);
        CHECK(resolve({"ALL"}, {"SYS_ADMIN"}) == (all & ~cap_bit(CAP_SYS_ADMIN)));
        CHECK(resolve({"ALL"}, {}, false, 37) == all_capabilities(37));
        CHECK(resolve({"all"}, {"all"}) == all); // docker: add ALL wins
    }
    SECTION("--privileged gives every capability; explicit drops still apply") {
        CHECK(resolve({}, {}, true) == all);
        CHECK(resolve({}, {"NET_ADMIN"}, true) == (all & ~cap_bit(CAP_NET_ADMIN)));
    }
    SECTION("unknown names are errors, reported with CAP_ and upper case") {
        CHECK_THROWS_WITH(resolve({"CAP_FOO"}, {}), "unknown capability 'CAP_FOO'");
        CHECK_THROWS_WITH(resolve({}, {"foo"}), "unknown capability 'CAP_FOO'");
        CHECK_THROWS_WITH(resolve({"ALL", "bogus"}, {}), "unknown capability 'CAP_BOGUS'");
    }
    SECTION("a capability the kernel does not know is refused") {
        CHECK_THROWS_WITH(resolve({"CAP_BPF"}, {}, false, 37),
                          "capability 'CAP_BPF' is not supported by the running kernel");
    }
}

TEST_CASE("root keeps the set, a non-root user only the bounding set", "[capabilities]") {
    const CapMask kept = caps_of({CAP_CHOWN, CAP_KILL});
    CapabilitySet root = capability_set_for_user(kept, false);
    CHECK(root.bounding == kept);
    CHECK(root.effective == kept);
    CHECK(root.permitted == kept);
    CHECK(root.inheritable == 0);
    CHECK(root.ambient == 0);
    CapabilitySet user = capability_set_for_user(kept, true);
    CHECK(user.bounding == kept);
    CHECK(user.effective == 0);
    CHECK(user.permitted == 0);
}

TEST_CASE("prepared capset data splits the sets into 32-bit halves", "[capabilities]") {
    const CapMask kept = caps_of({CAP_CHOWN, CAP_SETFCAP, CAP_MAC_ADMIN, CAP_CHECKPOINT_RESTORE});
    PreparedCaps p = prepare_capabilities(capability_set_for_user(kept, false), 40);
    CHECK(p.header.version == _LINUX_CAPABILITY_VERSION_3);
    CHECK(p.header.pid == 0);
    CHECK(p.data[0].effective == ((1u << CAP_CHOWN) | (1u << CAP_SETFCAP)));
    CHECK(p.data[1].effective == ((1u << (CAP_MAC_ADMIN - 32)) | (1u << (CAP_CHECKPOINT_RESTORE - 32))));
    CHECK(p.data[0].permitted == p.data[0].effective);
    CHECK(p.data[1].permitted == p.data[1].effective);
    CHECK(p.data[0].inheritable == 0);
    CHECK(p.data[1].inheritable == 0);
    CHECK(p.last_cap == 40);

    CapabilitySet bad;
    bad.effective = cap_bit(CAP_KILL);
    CHECK_THROWS(prepare_capabilities(bad, 40));
}

TEST_CASE("apply_capabilities sets the process's capabilities", "[capabilities][privileged]") {
    if (::geteuid() != 0) {
        WARN("skipped: needs root (CAP_SETPCAP) to shrink the bounding set");
        return;
    }
    const int last = last_capability();
    const CapMask kept = caps_of({CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_SETUID});

    SECTION("container root: bounding, effective and permitted are the set") {
        ChildCaps r = apply_in_child(prepare_capabilities(capability_set_for_user(kept, false), last), false, false);
        REQUIRE(WIFEXITED(r.status));
        REQUIRE(WEXITSTATUS(r.status) == 0);
        REQUIRE(r.report.starts_with("OK\n"));
        auto c = proc_caps(r.report);
        CHECK(c["CapBnd"] == kept);
        CHECK(c["CapEff"] == kept);
        CHECK(c["CapPrm"] == kept);
        CHECK(c["CapInh"] == 0);
        CHECK(c["CapAmb"] == 0);
    }
    SECTION("a non-root user after a keepcaps setresuid: bounding only") {
        ChildCaps r = apply_in_child(prepare_capabilities(capability_set_for_user(kept, true), last), true, true);
        REQUIRE(WIFEXITED(r.status));
        REQUIRE(WEXITSTATUS(r.status) == 0);
        REQUIRE(r.report.starts_with("OK\n"));
        auto c = proc_caps(r.report);
        CHECK(c["CapBnd"] == kept);
        CHECK(c["CapEff"] == 0);
        CHECK(c["CapPrm"] == 0);
        CHECK(c["CapAmb"] == 0);
    }
    SECTION("without keepcaps the bounding set cannot be trimmed: errno and step") {
        ChildCaps r = apply_in_child(prepare_capabilities(capability_set_for_user(kept, true), last), true, false);
        REQUIRE(WIFEXITED(r.status));
        CHECK(r.report == "FAIL prctl(PR_CAPBSET_DROP) " + std::to_string(EPERM));
    }
}
