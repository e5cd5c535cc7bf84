#include "cli/argv_split.hpp"

#include <algorithm>

namespace skiff::cli {

namespace {

const CLI::Option* find_option(const CLI::App& a, const std::string& name) {
    for (const CLI::Option* o : a.get_options())
        if (o->check_name(name)) return o;
    return nullptr;
}

bool takes_value(const CLI::Option* o) { return o != nullptr && o->get_expected_min() > 0; }

// Index just past the option at i (with its value), walking from `from` over
// the options of `a`; returns the index of the first positional or size().
size_t first_positional(const CLI::App& a, const std::vector<std::string>& args, size_t from, bool& saw_dashdash) {
    for (size_t i = from; i < args.size(); ++i) {
        const std::string& s = args[i];
        if (s == "--") {
            saw_dashdash = true;
            return i;
        }
        if (s.size() < 2 || s[0] != '-') return i;
        if (s[1] == '-') {
            if (s.find('=') != std::string::npos) continue;
            if (takes_value(find_option(a, s))) ++i;
            continue;
        }
        // -abc: flags until one takes a value (attached or in the next arg).
        for (size_t k = 1; k < s.size(); ++k) {
            if (takes_value(find_option(a, std::string("-") + s[k]))) {
                if (k + 1 == s.size()) ++i;
                break;
            }
        }
    }
    return args.size();
}

} // namespace

std::vector<std::string> split_trailing_args(const CLI::App& app, const std::vector<std::string>& args,
                                             const std::vector<std::string>& commands,
                                             std::vector<std::string>& trailing) {
    // The global flags come first, then the command's name; a group
    // (`container exec ...`) one level down.
    bool dd = false;
    const CLI::App* parent = &app;
    const CLI::App* sub = nullptr;
    size_t cmd_at = 0, from = 0;
    for (int depth = 0; depth < 2 && sub == nullptr; ++depth) {
        cmd_at = first_positional(*parent, args, from, dd);
        if (dd || cmd_at >= args.size()) return args;
        const CLI::App* found = nullptr;
        for (const CLI::App* s : parent->get_subcommands({}))
            if (s->check_name(args[cmd_at])) found = s;
        if (found == nullptr) return args;
        if (std::find(commands.begin(), commands.end(), args[cmd_at]) != commands.end()) sub = found;
        parent = found;
        from = cmd_at + 1;
    }
    if (sub == nullptr) return args;

    size_t pos = first_positional(*sub, args, cmd_at + 1, dd);
    if (pos >= args.size()) return args;
    std::vector<std::string> head(args.begin(), args.begin() + static_cast<long>(pos));
    if (dd) ++pos; // `run [FLAGS] -- IMAGE ...`: drop the "--"
    if (pos >= args.size()) return head;
    head.push_back(args[pos]);
    trailing.assign(args.begin() + static_cast<long>(pos) + 1, args.end());
    return head;
}

} // namespace skiff::cli
