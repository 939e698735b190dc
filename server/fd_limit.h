// The open-file limit the sidecar needs: one descriptor per connection up to
// limits.max_connections, one more to answer the connection past it with 429, and
// kFdHeadroom for everything else (the listener, each io thread's epoll and eventfd,
// timers, the log file, the snapshot store, rule and cache files during a reload).
// Without them, accept() fails and new clients hang in the backlog with no 429, and a
// reload cannot open the rule files.
#pragma once

#include <cstddef>

#include "plugin/common/error.h"

namespace vigil::server {

inline constexpr size_t kFdHeadroom = 128;

// Descriptors `vigil serve` needs for `max_connections`.
size_t fds_needed(size_t max_connections);

// Raises the soft RLIMIT_NOFILE toward the hard limit when it is below
// fds_needed(max_connections) (logging `fd_limit_raised`). When even the hard limit is
// too low: config.fd_limit naming both numbers and what to change; nothing is changed.
Status<> ensure_fd_limit(size_t max_connections);

}  // namespace vigil::server
