// Test support for the provider's backend tests: runs one generation to its end and collects
// the text and the result (waits at most a minute, so a broken backend fails instead of hanging).
#ifndef LT_PROVIDER_BACKEND_TEST_SUPPORT_H_
#define LT_PROVIDER_BACKEND_TEST_SUPPORT_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "provider/backend.h"

namespace lt::provider::testing {

struct Outcome {
  std::string text;
  Result<GenerationResult> done = MakeError(ErrorCode::kInternal, "not finished");
};

inline Outcome RunOnce(Backend& b, const nlohmann::json& req) {
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  Outcome o;
  GenerationCallbacks cb;
  cb.on_chunk = [&](std::string_view d) {
    std::lock_guard<std::mutex> l(mu);
    o.text += d;
    return true;
  };
  cb.on_done = [&](Result<GenerationResult> r) {
    std::lock_guard<std::mutex> l(mu);
    o.done = std::move(r);
    finished = true;
    cv.notify_all();
  };
  auto g = b.Start(req, cb);
  if (!g.ok()) {
    o.done = g.error();
    return o;
  }
  std::unique_lock<std::mutex> l(mu);
  cv.wait_for(l, std::chrono::seconds(60), [&] { return finished; });
  return o;
}

}  // namespace lt::provider::testing

#endif  // LT_PROVIDER_BACKEND_TEST_SUPPORT_H_
