// FUZZ_CHECK: a fuzz target's invariant. A failure prints what broke and aborts, which
// libFuzzer reports as a crash (and saves the input) and the replay test as a failure.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                                            \
  do {                                                                                                    \
    if (!(cond)) {                                                                                        \
      std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s (%s)\n", __FILE__, __LINE__, what, #cond); \
      std::abort();                                                                                       \
    }                                                                                                     \
  } while (0)
