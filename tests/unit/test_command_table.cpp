// The command table that lets an invocation build only its own command.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "cli/commands.hpp"

using namespace skiff::cli;

namespace {

std::set<std::string> top_level_names(CLI::App& app) {
    std::set<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({})) names.insert(sub->get_name());
    return names;
}

} // namespace

TEST_CASE("each command table entry names exactly the commands its adder registers") {
    std::set<std::string> all;
    for (const auto& e : command_table()) {
        CLI::App app;
        Context ctx;
        e.add(app, ctx);
        std::set<std::string> expected;
        for (auto n : e.names)
            if (!n.empty()) expected.insert(std::string(n));
        CHECK(top_level_names(app) == expected);
        for (const auto& n : expected) CHECK(all.insert(n).second); // no name twice
    }
    CLI::App full;
    Context ctx;
    add_all_commands(full, ctx);
    CHECK(top_level_names(full) == all);
    CHECK(all.count("run") == 1);
    CHECK(all.count("__start") == 1);
}

TEST_CASE("command_for_args finds the command after the global options") {
    auto name = [](std::vector<std::string> args) -> std::string {
        const CommandEntry* e = command_for_args(args);
        return e != nullptr ? std::string(e->names[0]) : "(all)";
    };
    CHECK(name({"start", "abc"}) == "start");
    CHECK(name({"--root", "/x", "--runroot", "/y", "rm", "-f", "c"}) == "rm");
    CHECK(name({"--root=/x", "--log-level=debug", "ps"}) == "ps");
    CHECK(name({"--config", "run", "create"}) == "create"); // "run" is --config's value
    CHECK(name({"unpause", "c"}) == "pause");
    CHECK(name({"__cleanup", "id"}) == "__start");
    CHECK(name({}) == "(all)");
    CHECK(name({"--help"}) == "(all)");
    CHECK(name({"-v"}) == "(all)");
    CHECK(name({"--bogus", "ps"}) == "(all)");
    CHECK(name({"bogus"}) == "(all)");
    CHECK(name({"__complete", "ru"}) == "(all)");
    CHECK(name({"--root"}) == "(all)");
}
