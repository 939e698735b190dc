// Runs the built `vigil` binary with arguments through the shell (popen), capturing
// stdout (stderr too when asked) and the exit code. For the CLI tests. Every run gets
// XDG_CACHE_HOME set to a folder of this test process (removed at exit), so no test
// writes the compiled-rules cache into the real home folder.
#pragma once

#include <sys/wait.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

namespace vigil::test {

// The XDG_CACHE_HOME of this test process's `vigil` runs.
inline const std::filesystem::path& cli_cache_home() {
  struct Home {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("vigil-cli-cache-" + std::to_string(::getpid()));
    ~Home() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Home home;
  return home.path;
}

struct CliResult {
  int exit_code = -1;
  std::string out;
};

// `args` is appended to the binary's path as shell text; quote it yourself. `input`
// (without single quotes) is piped to stdin. `env` (NAME='value' ...) is set for the run,
// after (so over) the default XDG_CACHE_HOME.
inline CliResult run_vigil(const std::string& args, bool merge_stderr = false, const std::string& input = "",
                           const std::string& env = "") {
  std::string command = "printf '%s' '" + input + "' | XDG_CACHE_HOME='" + cli_cache_home().string() + "' " + env +
                        " " VIGIL_BINARY_DIR "/vigil " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
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
