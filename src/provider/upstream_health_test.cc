// UpstreamMonitor (provider/upstream_health.h): an openai-backed model is paused while its
// upstream fails its health check and resumed when it passes; builtin models are never watched.
#include "provider/upstream_health.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace lt::provider {
namespace {

class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(std::string kind) : kind_(std::move(kind)) {}
  std::string_view kind() const override { return kind_; }
  Result<std::shared_ptr<Generation>> Start(const nlohmann::json&, GenerationCallbacks) override {
    return MakeError(ErrorCode::kUnavailable, "not used");
  }
  Status CheckHealth() override {
    ++checks;
    if (healthy) return OkStatus();
    return MakeError(ErrorCode::kUnavailable, "upstream http://127.0.0.1:9: Connection (Connection refused)");
  }
  std::atomic<bool> healthy{true};
  std::atomic<int> checks{0};

 private:
  std::string kind_;
};

std::shared_ptr<ServedModel> Model(const std::string& name, std::shared_ptr<Backend> b) {
  auto m = std::make_shared<ServedModel>();
  m->name = name;
  m->backend = std::move(b);
  return m;
}

TEST(UpstreamMonitorTest, U1_PausesWhileTheUpstreamIsDownAndResumes) {
  auto up = std::make_shared<FakeBackend>("openai");
  auto local = std::make_shared<FakeBackend>("builtin");
  auto remote = Model("acme/remote:1", up), builtin = Model("acme/local:1", local);
  UpstreamMonitor mon({remote, builtin}, 60000);
  up->healthy = false;
  mon.CheckAll();
  EXPECT_FALSE(remote->available.load());
  EXPECT_TRUE(builtin->available.load());
  EXPECT_EQ(local->checks.load(), 0) << "builtin models are not watched";
  auto d = mon.Describe(*remote);
  EXPECT_FALSE(d["available"].get<bool>());
  EXPECT_NE(d["upstream_error"].get<std::string>().find("Connection refused"), std::string::npos);
  EXPECT_EQ(d["upstream_failures"].get<uint64_t>(), 1u);
  EXPECT_TRUE(mon.Describe(*builtin).empty());
  up->healthy = true;
  mon.CheckAll();
  EXPECT_TRUE(remote->available.load());
  EXPECT_TRUE(mon.Describe(*remote)["available"].get<bool>());
}

TEST(UpstreamMonitorTest, ANudgeChecksAtOnce) {
  auto up = std::make_shared<FakeBackend>("openai");
  auto remote = Model("acme/remote:1", up);
  UpstreamMonitor mon({remote}, 60000);  // the periodic check would wait a minute
  mon.Start();
  int after_start = up->checks.load();
  EXPECT_GE(after_start, 1);
  up->healthy = false;
  mon.Nudge();
  for (int i = 0; i < 200 && remote->available.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(remote->available.load());
  mon.Stop();
}

}  // namespace
}  // namespace lt::provider
