// skiff __complete: the hidden helper (handled before flag parsing, see
// cli::main) that shell completions call, so that
// they list what this binary really accepts and never go stale.
//   skiff __complete commands         one "NAME<TAB>DESCRIPTION" per line
//   skiff __complete flags [CMD...]   one "FLAG<TAB>DESCRIPTION" per line
//   skiff __complete takes-value CMD FLAG   exit 0 when FLAG needs an argument
//   skiff __complete containers|images      NAME<TAB>DETAIL per line
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "engine/container_store.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {

const CLI::App* find_command(const CLI::App& root, const std::vector<std::string>& path) {
    const CLI::App* cur = &root;
    for (const auto& name : path) {
        const CLI::App* next = nullptr;
        for (const CLI::App* sub : cur->get_subcommands({}))
            if (sub->check_name(name)) next = sub;
        if (next == nullptr) throw Error(fmt::format("__complete: no command '{}'", name));
        cur = next;
    }
    return cur;
}

void print_commands(const CLI::App& a) {
    for (const CLI::App* sub : a.get_subcommands({}))
        if (!sub->get_group().empty()) fmt::print("{}\t{}\n", sub->get_name(), sub->get_description());
}

void print_containers(Context& ctx) {
    for (const auto& c : engine::ContainerStore(ctx.paths().root).list())
        fmt::print("{}\t{}\n", c.name, c.image);
}

void print_images(Context& ctx) {
    for (const auto& img : storage::Store(ctx.paths().root).list_images())
        for (const auto& t : img.repo_tags) fmt::print("{}\t{}\n", t, img.id.substr(7, 12));
}

void print_flags(const CLI::App& a) {
    for (const CLI::Option* opt : a.get_options()) {
        if (opt->get_positional() || opt->get_group().empty()) continue;
        for (const auto& s : opt->get_snames()) fmt::print("-{}\t{}\n", s, opt->get_description());
        for (const auto& l : opt->get_lnames()) fmt::print("--{}\t{}\n", l, opt->get_description());
    }
}

} // namespace

int run_complete(const CLI::App& app, Context& ctx, std::vector<std::string> w) {
    if (!w.empty() && w.front() == "--") w.erase(w.begin());
    if (w.empty()) throw Error("__complete: nothing to complete");
    std::vector<std::string> rest(w.begin() + 1, w.end());
    if (w[0] == "commands") {
        print_commands(*find_command(app, rest));
    } else if (w[0] == "flags") {
        print_flags(*find_command(app, rest));
    } else if (w[0] == "takes-value" && !rest.empty()) {
        std::string flag = rest.back();
        rest.pop_back();
        const CLI::App* c = find_command(app, rest);
        for (const CLI::Option* opt : c->get_options())
            if (opt->check_name(flag)) return opt->get_expected_min() > 0 ? 0 : 1;
        return 1;
    } else if (w[0] == "containers") {
        print_containers(ctx);
    } else if (w[0] == "images") {
        print_images(ctx);
    } else {
        throw Error(fmt::format("__complete: unknown request '{}'", w[0]));
    }
    return 0;
}

} // namespace skiff::cli
