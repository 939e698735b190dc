// `vigil serve` as a subprocess, for tests that need their own process: a lowered
// `ulimit -n` (started through /bin/sh with a prefix), thousands of connections whose
// descriptors must not share the test's own limit, a kill -9, or a restart on the same
// data folder.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace vigil::server::test {

class ServeProcess {
 public:
  // Runs `prefix exec vigil serve --listen 127.0.0.1:0 --data-dir '' --rules RULES args`
  // (stderr joined to stdout) and reads its output until the "listening" line or its exit.
  ServeProcess(const std::string& prefix, const std::string& rules, const std::string& args = "") {
    const std::string cmd = prefix + " exec " + std::string(VIGIL_BINARY_DIR) +
                            "/vigil serve --listen 127.0.0.1:0 --data-dir '' --rules '" + rules + "' " + args + " 2>&1";
    launch([&] { execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr)); });
  }
  // Runs `vigil serve --listen 127.0.0.1:0 ARGS...` directly, its stderr the test's own
  // (so a chatty server never blocks on an unread pipe), and reads its stdout until the
  // "listening" line or its exit.
  explicit ServeProcess(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"vigil", "serve", "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (std::string& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    const std::string binary = std::string(VIGIL_BINARY_DIR) + "/vigil";
    launch([&] { execv(binary.c_str(), raw.data()); });
  }
  ~ServeProcess() { stop(); }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // 0 when the server did not start.
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool alive() const { return exit_code_ == kRunning && pid_ > 0 && kill(pid_, 0) == 0; }
  // SIGTERM, then the rest of the output and the exit code.
  int stop() {
    if (exit_code_ == kRunning && pid_ > 0) {
      kill(pid_, SIGTERM);
      wait_exit();
    }
    return exit_code_;
  }
  // SIGKILL, as a crash: nothing of the server's shutdown runs.
  void kill9() {
    if (exit_code_ == kRunning && pid_ > 0) {
      kill(pid_, SIGKILL);
      wait_exit();
    }
  }
  int exit_code() const { return exit_code_; }
  const std::string& output() const { return output_; }

 private:
  static constexpr int kRunning = -2;
  // Forks; the child points stdout at a pipe and calls exec_child (which execs).
  template <class Exec>
  void launch(Exec&& exec_child) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      exec_child();
      _exit(127);
    }
    close(out[1]);
    out_ = fdopen(out[0], "r");
    char line[2048];
    while (fgets(line, sizeof line, out_) != nullptr) {
      output_ += line;
      const size_t at = output_.find("vigil: listening on http://127.0.0.1:");
      if (at != std::string::npos) {
        port_ = static_cast<uint16_t>(std::stoi(output_.substr(at + 37)));
        return;
      }
    }
    wait_exit();
  }
  void wait_exit() {
    char line[2048];
    while (out_ != nullptr && fgets(line, sizeof line, out_) != nullptr) output_ += line;
    if (out_ != nullptr) fclose(out_);
    out_ = nullptr;
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string output_;
  uint16_t port_ = 0;
  int exit_code_ = kRunning;
};

}  // namespace vigil::server::test
