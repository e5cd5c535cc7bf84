#include "engine/port_list.hpp"

#include <fmt/format.h>

#include "engine/container_store.hpp"
#include "net/port_spec.hpp"
#include "util/error.hpp"

namespace skiff::engine {

std::vector<std::string> container_ports(const Paths& paths, const std::string& container, const std::string& filter) {
    ContainerRecord rec = ContainerStore(paths.root).lookup(container);
    std::string port = filter, proto = "tcp";
    if (auto slash = filter.find('/'); slash != std::string::npos) {
        port = filter.substr(0, slash);
        proto = filter.substr(slash + 1);
    }
    std::vector<std::string> out;
    for (const auto& s : rec.ports) {
        net::PortBinding b = net::decode(s);
        if (filter.empty()) {
            out.push_back(net::describe(b));
        } else if (std::to_string(b.container_port) == port && b.protocol == proto) {
            out.push_back(fmt::format("{}:{}", net::host_text(b), b.host_port));
        }
    }
    if (!filter.empty() && out.empty())
        throw Error(fmt::format("failed to find published port \"{}\" of container {}", filter, container));
    return out;
}

} // namespace skiff::engine
