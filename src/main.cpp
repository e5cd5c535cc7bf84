// The skiff binary: everything lives in the library; this only hands over argv.
#include "cli/app.hpp"

int main(int argc, char** argv) { return skiff::cli::main(argc, argv); }
