// Placeholder until the engine lands: create() reports that it is not built yet.
#include "plugin/engine/engine.h"

namespace vigil {

struct Engine::Impl {};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>, Errors> Engine::create(EngineOptions) {
  return Errors{Error("engine.unavailable", "the engine is not built yet")};
}
Result<Verdict> Engine::process(const Message& m) { return process(m, nullptr); }
Result<Verdict> Engine::process(const Message&, Explanation*) {
  return Error("engine.unavailable", "the engine is not built yet");
}
std::optional<ConversationInfo> Engine::conversation(std::string_view) const { return std::nullopt; }
EngineStats Engine::stats() const { return {}; }
Status<Errors> Engine::reload_rules() { return Errors{Error("engine.unavailable", "not built yet")}; }
std::shared_ptr<const RuleSet> Engine::rules() const { return nullptr; }
Status<> Engine::flush() { return {}; }

}  // namespace vigil
