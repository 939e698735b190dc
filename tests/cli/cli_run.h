// Runs the built `vigil` binary with arguments through the shell (popen), capturing
// stdout (stderr too when asked) and the exit code. For the CLI tests.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace vigil::test {

struct CliResult {
  int exit_code = -1;
  std::string out;
};

// `args` is appended to the binary's path as shell text; quote it yourself. `input`
// (without single quotes) is piped to stdin.
inline CliResult run_vigil(const std::string& args, bool merge_stderr = false, const std::string& input = "") {
  std::string command =
      "printf '%s' '" + input + "' | " VIGIL_BINARY_DIR "/vigil " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  CliResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace vigil::test
