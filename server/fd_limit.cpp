#include "server/fd_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "server/log.h"

namespace vigil::server {

size_t fds_needed(size_t max_connections) { return max_connections + 1 + kFdHeadroom; }

Status<> ensure_fd_limit(size_t max_connections) {
  const size_t need = fds_needed(max_connections);
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return Error("config.fd_limit", std::string("cannot read the open-file limit: ") + std::strerror(errno));
  }
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= need) return {};
  const rlim_t was = lim.rlim_cur;
  if (lim.rlim_max == RLIM_INFINITY || lim.rlim_max >= need) {
    lim.rlim_cur = static_cast<rlim_t>(need);
    if (setrlimit(RLIMIT_NOFILE, &lim) == 0) {
      log_event(spdlog::level::info, "fd_limit_raised", {{"from", was}, {"to", need}});
      return {};
    }
  }
  return Error("config.fd_limit",
               "limits.max_connections " + std::to_string(max_connections) + " needs " + std::to_string(need) +
                   " open files, but the limit is " + std::to_string(was) + " (hard limit " +
                   (lim.rlim_max == RLIM_INFINITY ? std::string("unlimited") : std::to_string(lim.rlim_max)) +
                   "); raise it (ulimit -n, systemd LimitNOFILE=) or lower limits.max_connections")
      .for_field("limits.max_connections");
}

}  // namespace vigil::server
