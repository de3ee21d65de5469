// FUZZ_CHECK: a property a fuzz target asserts. A violation prints what was
// expected and aborts, which libFuzzer records as a crash (and the replay
// tests as a failed test), with the input saved for reproduction.

#ifndef FUZZ_FUZZ_CHECK_H_
#define FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                          \
  do {                                                                 \
    if (!(condition)) {                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #condition);                              \
      std::abort();                                                    \
    }                                                                  \
  } while (0)

#endif  // FUZZ_FUZZ_CHECK_H_
