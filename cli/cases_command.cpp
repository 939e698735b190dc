// vigil export verify FILE: checks an evidence bundle's hash chain (GET
// /v1/cases/{id}/export) and names the first message that breaks it.
// vigil purge [--dry-run]: removes the closed cases older than the retention (config
// cases.retention_days, default 365) from data_dir/cases.db, or lists them.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "plugin/engine/message_json.h"
#include "server/cases/evidence.h"
#include "server/cases/sqlite_case_store.h"
#include "server/config.h"

namespace vigil::cli {

namespace {

int run_verify(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    print_errors({Error("export.not_found", "cannot read the bundle").at(file)}, false);
    return kExitFailure;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  Result<cases::VerifyReport> r = cases::verify_bundle(ss.str());
  if (!r) {
    print_errors({Error(r.error()).at(file)}, false);
    return kExitFailure;
  }
  if (r->ok) {
    std::cout << "ok: " << r->messages << " message(s), the chain is intact\n";
    return 0;
  }
  std::cout << "broken: message #" << r->broken_index;
  if (!r->broken_message_id.empty()) std::cout << " (" << r->broken_message_id << ")";
  std::cout << ": " << r->reason << "\n";
  return 1;
}

struct PurgeFlags {
  std::string config_file;
  std::optional<std::string> data_dir;
  int retention_days = 0;
  bool dry_run = false;
};

int run_purge(const PurgeFlags& flags) {
  using namespace vigil::server;
  ServerConfig config;
  if (!flags.config_file.empty()) {
    if (Status<Errors> s = load_config_file(flags.config_file, config); !s) {
      print_errors(s.error(), false);
      return kExitFailure;
    }
  }
  if (Status<Errors> s = apply_process_env(config); !s) {
    print_errors(s.error(), false);
    return kExitFailure;
  }
  if (flags.data_dir) config.data_dir = *flags.data_dir;
  if (flags.retention_days > 0) config.cases.retention_days = flags.retention_days;
  if (config.data_dir.empty()) {
    print_errors({Error("purge.no_data_dir", "purge needs a data directory (--data-dir or data_dir:)")}, false);
    return kExitUsage;
  }
  const auto file = config.data_dir / "cases.db";
  if (!std::filesystem::exists(file)) {
    std::cout << "no case store at " << file.string() << ": nothing to purge\n";
    return 0;
  }
  cases::SqliteCaseStoreOptions o;
  o.file = file;
  Result<std::unique_ptr<cases::SqliteCaseStore>> store = cases::SqliteCaseStore::open(o);
  if (!store) {
    print_errors({store.error()}, false);
    return kExitFailure;
  }
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const int64_t cutoff = now - int64_t{config.cases.retention_days} * 24 * 3600 * 1000;
  Result<std::vector<cases::CaseSummary>> gone = (*store)->purge(cutoff, flags.dry_run);
  if (!gone) {
    print_errors({gone.error()}, false);
    return kExitFailure;
  }
  for (const cases::CaseSummary& c : *gone) {
    std::cout << (flags.dry_run ? "would purge " : "purged ") << c.id << " conversation " << c.conversation_id << " "
              << cases::to_string(c.status) << " closed " << format_rfc3339(c.closed_ms) << " " << c.message_count
              << " message(s)\n";
  }
  std::cout << gone->size() << " case(s) closed before " << format_rfc3339(cutoff) << " ("
            << config.cases.retention_days << " days)"
            << (flags.dry_run ? " would be purged (dry run)\n" : " purged\n");
  return 0;
}

}  // namespace

void register_cases(CLI::App& app) {
  CLI::App* exp = app.add_subcommand("export", "Work with evidence bundles (GET /v1/cases/{id}/export)");
  exp->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  CLI::App* verify =
      exp->add_subcommand("verify", "Check a bundle's hash chain; exit 0 intact, 1 broken or unreadable");
  verify->add_option("FILE", *file, "The bundle (JSON)")->required();
  verify->callback([file] { throw CLI::RuntimeError(run_verify(*file)); });

  auto flags = std::make_shared<PurgeFlags>();
  CLI::App* purge = app.add_subcommand("purge", "Remove closed cases past the retention (cases.retention_days)");
  purge->add_option("--config", flags->config_file, "The serve config (data_dir, cases.retention_days)");
  purge->add_option("--data-dir", flags->data_dir, "Data folder holding cases.db (default ./vigil-data)");
  purge->add_option("--retention-days", flags->retention_days, "Override cases.retention_days")
      ->type_name("DAYS")
      ->check(CLI::PositiveNumber.description(""));
  purge->add_flag("--dry-run", flags->dry_run, "List what would be purged; change nothing");
  purge->callback([flags] { throw CLI::RuntimeError(run_purge(*flags)); });
}

}  // namespace vigil::cli
