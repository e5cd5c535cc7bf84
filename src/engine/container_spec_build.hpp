// From a container record to what the runtime starts: the rootfs, mounts,
// ID maps, process and security settings. Used by `run`, by `start` (in the
// `__start` role) and, for its security half, by `exec`.
#pragma once

#include "config/config.hpp"
#include "config/paths.hpp"
#include "engine/container_store.hpp"
#include "engine/network_plan.hpp"
#include "runtime/container_spec.hpp"

namespace skiff::engine {

// plan_out, when given, receives the network plan (the caller starts the
// slirp helper once the namespaces exist).
runtime::ContainerSpec build_container_spec(const Paths& paths, const Config& config, const ContainerRecord& rec,
                                            NetworkPlan* plan_out = nullptr);

// The capability, seccomp and no_new_privs settings of the record.
runtime::SecuritySpec security_of(const ContainerRecord& rec, bool rootless);

// The ID maps a rootless container of this record runs with.
runtime::UserNamespaceMaps maps_of(const ContainerRecord& rec);

// The record's network, planned again (ports, DNS, hosts) for a start.
NetworkPlan network_plan_of(const Config& config, const ContainerRecord& rec, bool rootless);

} // namespace skiff::engine
