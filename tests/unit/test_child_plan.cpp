// The container's mount plan: the order of the user's mounts.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/child_plan.hpp"

using namespace skiff::runtime;

TEST_CASE("path_depth counts components after lexical cleaning") {
    CHECK(path_depth("/") == 0);
    CHECK(path_depth("/a") == 1);
    CHECK(path_depth("/a/b/") == 2);
    CHECK(path_depth("//a///b") == 2);
    CHECK(path_depth("/a/./b") == 2);
    CHECK(path_depth("/a/b/..") == 1);
    CHECK(path_depth("/../../a") == 1);
}

namespace {

ContainerSpec spec_with_mounts() {
    ContainerSpec s;
    s.rootfs.kind = RootfsSpec::Kind::bind;
    s.rootfs.lower = {"/tmp/rootfs"};
    s.rootfs.mountpoint = "/tmp/merged";
    s.process.args = {"true"};
    s.binds.push_back({.source = "/host/deep", .target = "/data/sub/deep"});
    s.binds.push_back({.source = "/host/etc-hosts", .target = "/etc/hosts", .file = true});
    s.binds.push_back({.source = "/host/data", .target = "/data"});
    s.binds.push_back({.source = "/host/etc", .target = "/etc"});
    s.tmpfs.push_back({.target = "/data/sub", .data = "size=1m"});
    return s;
}

// The targets of the user's mounts, in the order the plan runs them.
std::vector<std::string> user_targets(const ChildPlan& p) {
    std::vector<std::string> out;
    for (const MountStep& s : p.steps) {
        std::string t = s.target;
        bool user = (s.op == MountStep::Op::bind_host && t.rfind("/dev/", 0) != 0) ||
                    (s.op == MountStep::Op::mount && s.fstype != nullptr && std::string(s.fstype) == "tmpfs" &&
                     t.rfind("/dev", 0) != 0);
        if (user) out.push_back(t);
    }
    return out;
}

} // namespace

TEST_CASE("the user's mounts go parents first, equal depths in the order given") {
    ChildPlan p = build_child_plan(spec_with_mounts());
    CHECK(user_targets(p) ==
          std::vector<std::string>{"/data", "/etc", "/etc/hosts", "/data/sub", "/data/sub/deep"});
}

TEST_CASE("a read-only bind is remounted right after its bind") {
    ContainerSpec s = spec_with_mounts();
    s.binds[2].readonly = true; // /data
    ChildPlan p = build_child_plan(s);
    int remounts = 0;
    for (size_t i = 0; i < p.steps.size(); ++i) {
        if (p.steps[i].op != MountStep::Op::remount_ro) continue;
        ++remounts;
        REQUIRE(i > 0);
        CHECK(std::string(p.steps[i].target) == "/data");
        CHECK(p.steps[i - 1].op == MountStep::Op::bind_host);
        CHECK(std::string(p.steps[i - 1].target) == "/data");
    }
    CHECK(remounts == 1);
}
