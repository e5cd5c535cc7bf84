// The skiff binary: everything lives in the library; this only hands over argv.
#include "cli/app.hpp"
#include "util/process_title.hpp"

int main(int argc, char** argv) {
    skiff::remember_argv(argc, argv);
    return skiff::cli::main(argc, argv);
}
