// skiff login [OPTIONS] REGISTRY and skiff logout [OPTIONS] [REGISTRY]
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "engine/login.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {

struct LoginFlags {
    engine::LoginOptions opts;
    std::string registry;
    bool password_stdin = false, get_login = false, tls = true;
};

std::string read_line_no_echo() {
    struct termios old {};
    bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        struct termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fmt::print("\n");
    }
    return line;
}

int run_login(Context& ctx, LoginFlags& f) {
    if (f.get_login) {
        auto user = engine::stored_login(f.registry, f.opts.authfile);
        if (!user) throw Error(fmt::format("not logged into {}", engine::login_key(f.registry)));
        fmt::print("{}\n", *user);
        return 0;
    }
    if (f.password_stdin) {
        if (!f.opts.password.empty()) throw Error("--password and --password-stdin cannot be combined");
        std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
        while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
        f.opts.password = all;
        if (f.opts.username.empty()) throw Error("--password-stdin needs --username");
    }
    bool tty = ::isatty(STDIN_FILENO) != 0;
    if (f.opts.username.empty()) {
        if (!tty) throw Error("a user name is required: use --username (stdin is not a terminal)");
        fmt::print("Username: ");
        std::fflush(stdout);
        std::getline(std::cin, f.opts.username);
    }
    if (f.opts.password.empty()) {
        if (!tty) throw Error("a password is required: use --password or --password-stdin (stdin is not a terminal)");
        fmt::print("Password: ");
        std::fflush(stdout);
        f.opts.password = read_line_no_echo();
    }
    engine::login(ctx.config(), f.registry, f.opts);
    fmt::print("Login Succeeded!\n");
    return 0;
}

} // namespace

void add_login_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("login", "Log in to a registry");
    auto f = std::make_shared<LoginFlags>();
    cmd->add_option("-u,--username", f->opts.username, "User name")->type_name("USER");
    cmd->add_option("-p,--password", f->opts.password, "Password (visible to other users: prefer --password-stdin)")
        ->type_name("PASSWORD");
    cmd->add_flag("--password-stdin", f->password_stdin, "Read the password from standard input");
    cmd->add_option("--authfile", f->opts.authfile, "Path of the authentication file")->type_name("FILE");
    auto* tls_opt = cmd->add_flag("--tls-verify{true}", f->tls,
                                  "Require HTTPS and verify certificates (--tls-verify=false to allow HTTP)");
    cmd->add_flag("--get-login", f->get_login, "Print the user name stored for the registry");
    cmd->add_option("REGISTRY", f->registry, "Registry host[:port]")->required();
    cmd->callback([&ctx, f, tls_opt] {
        if (tls_opt->count() > 0) f->opts.tls_verify = f->tls;
        ctx.action = [&ctx, f] { return run_login(ctx, *f); };
    });
}

void add_logout_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("logout", "Log out of a registry");
    auto authfile = std::make_shared<std::string>();
    auto registry = std::make_shared<std::string>();
    auto all = std::make_shared<bool>(false);
    cmd->add_option("--authfile", *authfile, "Path of the authentication file")->type_name("FILE");
    cmd->add_flag("-a,--all", *all, "Remove the credentials of every registry");
    cmd->add_option("REGISTRY", *registry, "Registry host[:port]");
    cmd->callback([&ctx, authfile, registry, all] {
        ctx.action = [authfile, registry, all] {
            if (*all) {
                if (!registry->empty()) throw Error("--all and a registry name cannot be combined");
                engine::logout_all(*authfile);
                fmt::print("Removed login credentials for all registries\n");
                return 0;
            }
            if (registry->empty()) throw Error("logout needs a registry name (or --all)");
            engine::logout(*registry, *authfile);
            fmt::print("Removed login credentials for {}\n", engine::login_key(*registry));
            return 0;
        };
    });
}

} // namespace skiff::cli
