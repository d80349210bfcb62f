// Threads that never end the process: an exception escaping a thread's function would call
// std::terminate (exit 134). Every long-lived thread of lt runs its body through CatchAll, which
// logs what escaped, with the thread's name, and returns (issue 15: "a library exception never
// ends a process"). Loops that must go on after a failed round catch inside the loop as well.
// Thread-safety: free functions.
#ifndef LT_UTIL_THREAD_H_
#define LT_UTIL_THREAD_H_

#include <exception>
#include <string>
#include <thread>
#include <utility>

#include "util/log.h"

namespace lt {

// Runs body(); returns true when it returned normally, false when it threw (logged).
template <typename F>
bool CatchAll(const char* name, F&& body) noexcept {
  try {
    std::forward<F>(body)();
    return true;
  } catch (const std::exception& e) {
    LT_ERROR(name << ": " << e.what() << " (caught; the process goes on)");
  } catch (...) {
    LT_ERROR(name << ": an unknown exception (caught; the process goes on)");
  }
  return false;
}

// A std::thread whose body runs under CatchAll.
template <typename F>
std::thread GuardedThread(const char* name, F body) {
  return std::thread([name, body = std::move(body)]() mutable { CatchAll(name, body); });
}

}  // namespace lt

#endif  // LT_UTIL_THREAD_H_
