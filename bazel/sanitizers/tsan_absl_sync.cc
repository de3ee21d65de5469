// ThreadSanitizer annotations for Debian's libabsl_synchronization, which is
// not built with -fsanitize=thread: TSan cannot see that absl::Mutex,
// CondVar and Notification order memory (they are futexes and atomics inside
// an uninstrumented library), so everything they guard, in our code and in
// gRPC (whose Mutex is absl::Mutex), looks like a data race.
//
// Linked into every binary by --config=tsan (through --custom_malloc, Bazel's
// hook for a library that every cc_binary and cc_test gets) and exported
// with -rdynamic, these definitions interpose on the library's: each calls
// the real function (dlsym RTLD_NEXT) and tells TSan about the
// happens-before edge it makes (__tsan_release before an unlock,
// __tsan_acquire after a lock). Annotations only: no behaviour changes.

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "bazel/sanitizers/tsan_real.h"

namespace {

// Notification is {Mutex mutex_; std::atomic<bool> notified_yet_;}.
static_assert(sizeof(absl::Notification) == sizeof(absl::Mutex) + 8,
              "absl::Notification layout changed");

// A Condition is evaluated inside the library with `mu` held, by the waiting
// thread after it re-took the lock internally or by the thread releasing
// `mu`: acquire before evaluating it.
// The condition objects themselves are handed to the other thread inside
// the library too: released once built, acquired before use.
struct AnnotatedCondition {
  static bool Eval(void* arg) {
    __tsan_acquire(arg);
    auto* self = static_cast<AnnotatedCondition*>(arg);
    __tsan_acquire(self->mu);
    const bool result = self->cond->Eval();
    // Often evaluated by the thread that is releasing `mu`, after its
    // pre-unlock release: order the evaluation before the next holder too.
    __tsan_release(self->mu);
    return result;
  }
  AnnotatedCondition(const absl::Condition& c, absl::Mutex* m)
      : cond(&c), mu(m), wrapped(&AnnotatedCondition::Eval, this) {
    __tsan_release(this);
  }

  const absl::Condition* cond;
  absl::Mutex* mu;
  absl::Condition wrapped;
};

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex4LockEv");
  real(this);
  __tsan_acquire(this);
}

void Mutex::ReaderLock() {
  REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex10ReaderLockEv");
  real(this);
  __tsan_acquire(this);
}

bool Mutex::TryLock() {
  REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

void Mutex::Unlock() {
  REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex6UnlockEv");
  __tsan_release(this);
  real(this);
}

void Mutex::ReaderUnlock() {
  REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  __tsan_release(this);
  real(this);
}

void Mutex::LockWhen(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&),
       "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  AnnotatedCondition c(cond, this);
  real(this, c.wrapped);
  __tsan_acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&),
       "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  AnnotatedCondition c(cond, this);
  real(this, c.wrapped);
  __tsan_acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration d) {
  REAL(bool (*)(Mutex*, const Condition&, absl::Duration),
       "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_"
       "8DurationE");
  const bool r = real(this, AnnotatedCondition(cond, this).wrapped, d);
  __tsan_acquire(this);  // held on return either way
  return r;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time t) {
  REAL(bool (*)(Mutex*, const Condition&, absl::Time),
       "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_"
       "4TimeE");
  const bool r = real(this, AnnotatedCondition(cond, this).wrapped, t);
  __tsan_acquire(this);
  return r;
}

void Mutex::Await(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&),
       "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  __tsan_release(this);
  AnnotatedCondition c(cond, this);
  real(this, c.wrapped);
  __tsan_acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration d) {
  REAL(bool (*)(Mutex*, const Condition&, absl::Duration),
       "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_"
       "8DurationE");
  __tsan_release(this);
  const bool r = real(this, AnnotatedCondition(cond, this).wrapped, d);
  __tsan_acquire(this);
  return r;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time t) {
  REAL(bool (*)(Mutex*, const Condition&, absl::Time),
       "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  __tsan_release(this);
  const bool r = real(this, AnnotatedCondition(cond, this).wrapped, t);
  __tsan_acquire(this);
  return r;
}

void CondVar::Wait(Mutex* mu) {
  REAL(void (*)(CondVar*, Mutex*),
       "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  __tsan_release(mu);
  real(this, mu);
  __tsan_acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration d) {
  REAL(bool (*)(CondVar*, Mutex*, absl::Duration),
       "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  __tsan_release(mu);
  const bool r = real(this, mu, d);
  __tsan_acquire(mu);
  return r;
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time t) {
  REAL(bool (*)(CondVar*, Mutex*, absl::Time),
       "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  __tsan_release(mu);
  const bool r = real(this, mu, t);
  __tsan_acquire(mu);
  return r;
}

void Notification::Notify() {
  REAL(void (*)(Notification*), "_ZN4absl7debian312Notification6NotifyEv");
  __tsan_release(this);
  // HasBeenNotified() is inline: an acquire load of notified_yet_ in our
  // (instrumented) code, which syncs with a release at that address.
  __tsan_release(reinterpret_cast<char*>(this) + sizeof(absl::Mutex));
  real(this);
}

void Notification::WaitForNotification() const {
  REAL(void (*)(const Notification*),
       "_ZNK4absl7debian312Notification19WaitForNotificationEv");
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration d) const {
  REAL(bool (*)(const Notification*, absl::Duration),
       "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_"
       "8DurationE");
  const bool notified = real(this, d);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(absl::Time t) const {
  REAL(bool (*)(const Notification*, absl::Time),
       "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_"
       "4TimeE");
  const bool notified = real(this, t);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl

// Built-in suppressions, so that binaries started by the Python tests have
// them too. Third-party code only: called_from_lib ignores what the
// interceptors (memcpy, free, ...) see when called from inside these
// uninstrumented libraries, whose own synchronisation (atomics, spin locks)
// TSan cannot see; every access made by our instrumented code is still
// checked.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libgrpc.so\n"
         "called_from_lib:libgrpc++.so\n"
         "called_from_lib:libgrpc++_reflection.so\n"
         "called_from_lib:libgpr.so\n"
         "called_from_lib:libabsl_synchronization.so\n"
         "called_from_lib:libabsl_graphcycles_internal.so\n"
         "called_from_lib:libabsl_status.so\n"
         "called_from_lib:libabsl_cord.so\n"
         "called_from_lib:libabsl_cord_internal.so\n"
         "called_from_lib:libabsl_strings.so\n"
         "called_from_lib:librabbitmq.so\n"
         // Abseil's deadlock detector, under its own uninstrumented SpinLock.
         "race:absl::*::synchronization_internal::GraphCycles::*\n";
}
