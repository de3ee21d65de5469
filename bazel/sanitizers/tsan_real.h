// What the TSan annotation files (tsan_*.cc) share: the real definition
// behind one they interpose on, and TSan's happens-before annotations.

#ifndef BAZEL_SANITIZERS_TSAN_REAL_H_
#define BAZEL_SANITIZERS_TSAN_REAL_H_

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);

// The real function behind `symbol`, or abort: a missing symbol means the
// library's ABI changed and the annotations must follow.
template <typename F>
F Real(const char* symbol) {
  void* f = dlsym(RTLD_NEXT, symbol);
  if (f == nullptr) {
    std::fprintf(stderr, "tsan annotations: %s not found\n", symbol);
    std::abort();
  }
  return reinterpret_cast<F>(f);
}

// `real`: the definition behind the enclosing one, looked up once.
#define REAL(type, symbol)                     \
  static const auto real = Real<type>(symbol); \
  (void)0

#endif  // BAZEL_SANITIZERS_TSAN_REAL_H_
