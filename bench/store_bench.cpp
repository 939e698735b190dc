// store_bench: how fast the snapshot store commits conversation snapshots (BENCHMARKS.md,
// "Durability"). Writes `--conversations` distinct snapshots once (inserts), then
// `--cycles` batches of `--batch` snapshots of random existing conversations (updates),
// one transaction per batch as the engine's writer does; prints rows/s for each phase.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "plugin/engine/snapshot_store.h"

int main(int argc, char** argv) {
  size_t conversations = 200'000, batch = 20'000, cycles = 20;
  std::string dir = "/tmp/vigil-store-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const size_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--conversations")
      conversations = v;
    else if (a == "--batch")
      batch = v;
    else if (a == "--cycles")
      cycles = v;
    else if (a == "--dir")
      dir = argv[i + 1];
  }
  std::filesystem::remove_all(dir);
  auto store =
      vigil::SnapshotStore::open(dir, "access,trust,isolation,secrecy,platform_move,desensitisation,meeting,coercion,");
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().to_text().c_str());
    return 1;
  }
  std::vector<vigil::SnapshotRow> rows;
  std::mt19937_64 rng(7);
  auto row = [&](uint64_t key) {
    vigil::SnapshotRow r;
    r.key = key * 0x9E3779B97F4A7C15ull;
    r.state.messages = static_cast<uint32_t>(rng());
    r.state.p[0].evidence[1] = 1.5f;
    r.names = "user-" + std::to_string(key) + std::string(1, '\0') + "peer-" + std::to_string(key);
    r.last_access_ms = 1'800'000'000'000 + static_cast<int64_t>(key);
    return r;
  };
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  for (size_t done = 0; done < conversations;) {
    rows.clear();
    for (size_t i = 0; i < batch && done < conversations; ++i) rows.push_back(row(done++));
    if (auto st = (*store)->write(rows, {}); !st) return std::fprintf(stderr, "%s\n", st.error().to_text().c_str()), 1;
  }
  const double insert_s = std::chrono::duration<double>(Clock::now() - t0).count();
  t0 = Clock::now();
  for (size_t c = 0; c < cycles; ++c) {
    rows.clear();
    for (size_t i = 0; i < batch; ++i) rows.push_back(row(rng() % conversations));
    if (auto st = (*store)->write(rows, {}); !st) return std::fprintf(stderr, "%s\n", st.error().to_text().c_str()), 1;
  }
  const double update_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "inserts: %zu rows in %.2f s = %.0f rows/s\nupdates: %zu rows in %.2f s = %.0f rows/s (batch "
      "%zu)\n",
      conversations, insert_s, conversations / insert_s, cycles * batch, update_s, cycles * batch / update_s, batch);
  std::filesystem::remove_all(dir);
  return 0;
}
