#pragma once

namespace skiff::cli {

// Parses argv, runs the chosen command and returns the process exit code:
// 0, the command's own code, or 125 for skiff's errors (docker/podman rule).
int main(int argc, char** argv);

} // namespace skiff::cli
