// Normaliser cost per message: ASCII-only (the fast path, no ICU), ASCII with every
// word-level transform firing, Chinese with Traditional and full-width forms, and a mix.
// Run: build/bench/normalize_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "plugin/normalize/normalizer.h"

namespace {

const vigil::Normalizer& normalizer() {
  static const auto n = std::move(vigil::Normalizer::create()).value();
  return *n;
}

void run(benchmark::State& state, const std::vector<std::string>& messages) {
  const vigil::Normalizer& n = normalizer();
  auto scratch = vigil::make_normalize_scratch();
  vigil::NormalizedText out;
  size_t bytes = 0;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& m = messages[i];
    n.normalize(m, out, *scratch);
    benchmark::DoNotOptimize(out.text.data());
    bytes += m.size();
    i = i + 1 == messages.size() ? 0 : i + 1;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_AsciiPlain(benchmark::State& state) {
  run(state, {"are your parents home right now? x"});  // 35 bytes
}
BENCHMARK(BM_AsciiPlain);

void BM_AsciiDisguised(benchmark::State& state) {
  run(state, {"D0NT t3ll ur p4rents s n a p sooooo"});  // 35 bytes
}
BENCHMARK(BM_AsciiDisguised);

void BM_Chinese(benchmark::State& state) { run(state, {"你爸媽在家嗎？加個ＶＸ 我十三岁"}); }
BENCHMARK(BM_Chinese);

void BM_Mixed(benchmark::State& state) {
  run(state, {"hey how old r u", "我们见面吧", "add me on s n a p", "你爸妈在家吗", "lol same", "\u0440arents home?",
              "加我微信一三八一二三四", "wyd rn", "don't tell anyone ok", "ｈｅｌｌｏ ｔｈｅｒｅ"});
}
BENCHMARK(BM_Mixed);

void BM_Create(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(vigil::Normalizer::create().ok());
}
BENCHMARK(BM_Create)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
