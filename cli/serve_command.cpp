// vigil serve: the sidecar. Config layers (file < VIGIL_* env < flags) in server/config.h.
#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "server/config.h"
#include "server/log.h"
#include "server/server.h"
#include "server/signals.h"

namespace vigil::cli {

namespace {

struct ServeFlags {
  std::string config_file;
  std::string listen;
  std::optional<std::string> data_dir;
  std::string rules;
  unsigned threads = 0;
  bool threads_set = false;
  bool check_config = false;
  CacheArgs cache;  // used when there is no data_dir (else DATA_DIR/hs-cache)
};

int run_serve(const ServeFlags& flags) {
  using namespace vigil::server;
  ServerConfig config;
  Errors errors;
  if (!flags.config_file.empty()) {
    if (Status<Errors> s = load_config_file(flags.config_file, config); !s) errors = s.error();
  }
  if (Status<Errors> s = apply_process_env(config); !s) {
    errors.insert(errors.end(), s.error().begin(), s.error().end());
  }
  if (!flags.listen.empty()) {
    if (Status<> s = parse_listen(flags.listen, config); !s) errors.push_back(Error(s.error()).for_field("--listen"));
  }
  if (!flags.rules.empty()) config.rules_dir = flags.rules;
  if (flags.data_dir) config.data_dir = *flags.data_dir;
  if (flags.threads_set) config.threads = flags.threads;
  if (errors.empty()) {
    if (Status<Errors> s = validate(config); !s) errors = s.error();
  }
  if (!errors.empty()) {
    print_errors(errors, false);
    return 1;
  }
  if (flags.check_config) {
    // Like Suricata's -T: everything serve does before it listens (the rules compiled,
    // the data folder created and opened for writing), then exit.
    const std::string summary = "listen " + config.listen_string() + ", rules " + config.rules_dir.string() +
                                ", data_dir " + (config.data_dir.empty() ? "(memory only)" : config.data_dir.string()) +
                                ", " + std::to_string(config.tokens.size()) + " token(s), " +
                                std::to_string(config.effective_threads()) + " thread(s)";
    ServerOptions check;
    check.check_only = true;
    check.rules_cache_dir = rules_cache_dir(flags.cache);
    Result<std::unique_ptr<Server>, Errors> server = Server::create(std::move(config), std::move(check));
    if (!server) {
      print_errors(server.error(), false);
      return 1;
    }
    const std::shared_ptr<const RuleSet> rules = (*server)->context().engine->rules();
    std::cout << "config ok: " << summary << "; " << rules->rules().size() << " rules, rules_version "
              << rules->version() << "\n";
    return 0;
  }
  if (Status<> s = init_logging(config.log); !s) {
    print_errors({s.error()}, false);
    return 1;
  }
  const bool open = config.tokens.empty();
  ServerOptions options;
  options.rules_cache_dir = rules_cache_dir(flags.cache);
  Result<std::unique_ptr<Server>, Errors> server = Server::create(std::move(config), std::move(options));
  if (!server) {
    print_errors(server.error(), false);
    return 1;
  }
  Server& s = **server;
  SignalHandler signals(s);
  s.start();
  std::cout << "vigil: listening on " << s.url() << " (WebSocket: ws" << s.url().substr(4) << "/v1/stream)\n";
  if (open) std::cout << "vigil: no tokens configured: every route is open, serving on loopback only\n";
  std::cout.flush();
  s.wait();
  return 0;
}

}  // namespace

void register_serve(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the sidecar: HTTP and WebSocket API on one port");
  cmd->add_option("--config", flags->config_file,
                  "YAML config file (keys: listen, rules, data_dir, threads, tokens, limits, log)");
  cmd->add_option("--listen", flags->listen, "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks one)");
  cmd->add_option("--data-dir", flags->data_dir,
                  "Scorer state folder (default ./vigil-data; \"\" keeps state in memory)");
  cmd->add_option("--rules", flags->rules, "Rule pack folder (default: $VIGIL_RULES, else ./rules)");
  cmd->add_option("--threads", flags->threads, "io threads (default: one per core)")
      ->type_name("N")
      ->each([flags](const std::string&) { flags->threads_set = true; });
  add_cache_options(*cmd, flags->cache);
  cmd->add_flag("--check-config", flags->check_config,
                "Do everything serve does before it listens (validate the config, compile the rules, create and "
                "open the data folder's stores), then exit 0 (ok) or 1");
  cmd->callback([flags] {
    int code = run_serve(*flags);
    throw CLI::RuntimeError(code);
  });
}

}  // namespace vigil::cli
