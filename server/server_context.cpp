#include "server/server_context.h"

#include <vector>

namespace vigil::server {

uint64_t SessionRegistry::add(std::weak_ptr<Drainable> session) {
  std::lock_guard lock(mu_);
  const uint64_t id = next_++;
  sessions_.emplace(id, std::move(session));
  return id;
}

void SessionRegistry::remove(uint64_t id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

size_t SessionRegistry::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void SessionRegistry::drain_all() {
  std::vector<std::shared_ptr<Drainable>> live;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  // Outside the lock: drain() may end a session, which removes itself.
  for (auto& s : live) s->drain();
}

}  // namespace vigil::server
