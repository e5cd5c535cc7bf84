// The storage driver choice that `skiff info` reports and `run` uses, and
// what the fuse-overlayfs driver hands the runtime.
#include <catch2/catch.hpp>

#include "engine/host_info.hpp"
#include "runtime/child_plan.hpp"
#include "runtime/fuse_overlay.hpp"
#include "util/error.hpp"

using namespace skiff;

namespace {

engine::StorageFacts facts(bool overlay, bool binary, bool dev) {
    engine::StorageFacts f;
    f.rootless = true;
    f.native_overlay = overlay;
    f.native_overlay_detail = overlay ? "" : "test: native refused";
    f.fuse_overlayfs_binary = binary;
    f.dev_fuse = dev;
    f.dev_fuse_detail = dev ? "" : "not accessible (mode 0600): ask an administrator";
    return f;
}

} // namespace

TEST_CASE("auto: overlay, then fuse-overlayfs, then vfs, each saying why") {
    auto c = engine::choose_storage_driver("auto", facts(true, true, true));
    CHECK(c.driver == "overlay");
    c = engine::choose_storage_driver("", facts(false, true, true));
    CHECK(c.configured == "auto");
    CHECK(c.driver == "fuse-overlayfs");
    CHECK_THAT(c.reason, Catch::Contains("test: native refused"));
    CHECK(c.problem.empty());
    c = engine::choose_storage_driver("auto", facts(false, true, false));
    CHECK(c.driver == "vfs");
    CHECK_THAT(c.reason, Catch::Contains("/dev/fuse is not accessible (mode 0600)"));
    c = engine::choose_storage_driver("auto", facts(false, false, true));
    CHECK(c.driver == "vfs");
    CHECK_THAT(c.reason, Catch::Contains("fuse-overlayfs is not installed"));
}

TEST_CASE("a configured fuse-overlayfs that cannot work is a problem, not a silent fallback") {
    auto c = engine::choose_storage_driver("fuse-overlayfs", facts(true, true, false));
    CHECK(c.driver == "fuse-overlayfs");
    CHECK_THAT(c.problem, Catch::Contains("storage.driver is fuse-overlayfs, but /dev/fuse is not accessible"));
    c = engine::choose_storage_driver("fuse-overlayfs", facts(true, false, true));
    CHECK_THAT(c.problem, Catch::Contains("fuse-overlayfs is not installed"));
    c = engine::choose_storage_driver("fuse-overlayfs", facts(false, true, true));
    CHECK(c.problem.empty());
}

TEST_CASE("fuse-overlayfs options and the child's fuse mount") {
    runtime::ContainerSpec spec;
    spec.rootfs.kind = runtime::RootfsSpec::Kind::fuse_overlay;
    spec.rootfs.lower = {"/s/l2/diff", "/s/l1/diff"};
    spec.rootfs.upper = "/c/upper";
    spec.rootfs.work = "/c/work";
    spec.rootfs.mountpoint = "/c/merged";
    spec.process.args = {"true"};
    CHECK(runtime::fuse_overlay_options(spec.rootfs) ==
          "lowerdir=/s/l2/diff:/s/l1/diff,upperdir=/c/upper,workdir=/c/work");
    auto plan = runtime::build_child_plan(spec);
    CHECK(plan.rootfs_fuse);
    CHECK(std::string(plan.rootfs_fstype) == "fuse.fuse-overlayfs");
    CHECK_THAT(std::string(plan.rootfs_data), Catch::Contains("allow_other"));
    CHECK_THAT(std::string(plan.rootfs_data), Catch::Contains("default_permissions"));

    spec.rootfs.lower = {"/s/a:b/diff"};
    CHECK_THROWS_AS(runtime::build_child_plan(spec), Error);
    spec.rootfs.lower = {"/s/l1/diff"};
    spec.rootfs.upper = "/c,x/upper";
    CHECK_THROWS_AS(runtime::fuse_overlay_options(spec.rootfs), Error);
}
