// Hostile clients against a running `lt devnet` (issue 15): malformed input on every role ends no
// process, and a few hundred held and trickling connections on each role (router, ledger, the
// user's API, a provider's HTTP port and its session port) for a few seconds do not stop the RFC
// path: the funded user still opens sessions in under a second, and no router bans a provider.
// Bounded: on 127.0.0.1, about 500 connections, under 30 s of flooding.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "net/http.h"
#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// "http://127.0.0.1:P[/v1]" or "127.0.0.1:P" -> P.
int PortOf(std::string url) {
  if (url.rfind("http://", 0) == 0) url = url.substr(7);
  url = url.substr(0, url.find('/'));
  return std::stoi(url.substr(url.rfind(':') + 1));
}

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `req` on a fresh connection and returns the status of the answer (0 when none came).
int RawStatus(int port, const std::string& req) {
  int fd = Connect(port);
  if (fd < 0) return 0;
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t off = 0;
  while (off < req.size()) {
    ssize_t n = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  char buf[64] = {};
  ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
  ::close(fd);
  if (n < 12 || std::string(buf, 5) != "HTTP/") return 0;
  return std::atoi(buf + 9);
}

// Held and trickling connections against one port, kept up until Stop().
class Flood {
 public:
  Flood(int port, int held, int trickling, bool http) : http_(http) {
    for (int i = 0; i < held; ++i) {
      int fd = Connect(port);
      if (fd < 0) continue;
      if (http_) {
        std::string req = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
        (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
      }
      held_.push_back(fd);
    }
    for (int i = 0; i < trickling; ++i) {
      int fd = Connect(port);
      if (fd >= 0) slow_.push_back(fd);
    }
    thread_ = std::thread([this] {
      const std::string head = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
      size_t at = 0;
      while (!stop_) {
        for (int fd : slow_) (void)::send(fd, head.data() + (at % head.size()), 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        ++at;
        for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ~Flood() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int fd : held_) ::close(fd);
    for (int fd : slow_) ::close(fd);
    held_.clear();
    slow_.clear();
  }
  size_t connections() const { return held_.size() + slow_.size(); }

 private:
  bool http_;
  std::vector<int> held_, slow_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

bool Alive(int pid) { return pid > 0 && ::kill(pid, 0) == 0; }

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("lt-hostile") + "/net";
    api_port_ = FreePort();
    devnet_ = std::make_unique<LtProcess>(std::vector<std::string>{
        "devnet", "--datadir", dir_, "--api-port", std::to_string(api_port_), "--no-showcase"});
    for (int i = 0; i < 3000 && !std::filesystem::exists(dir_ + "/devnet.json"); ++i) {
      ASSERT_TRUE(devnet_->Running()) << devnet_->Stdout() << devnet_->Stderr();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    net_ = json::parse(ReadFileOrEmpty(dir_ + "/devnet.json"));
    ASSERT_FALSE(net_["user"]["api"].is_null()) << net_.dump(2);
    pids_ = {net_["ledger"]["pid"].get<int>(), net_["user"]["pid"].get<int>()};
    for (const auto& r : net_["routers"]) pids_.push_back(r["pid"].get<int>());
    for (const auto& p : net_["providers"]) pids_.push_back(p["pid"].get<int>());
  }
  void TearDown() override {
    if (devnet_) EXPECT_EQ(devnet_->Stop(SIGINT, 60000), 0) << devnet_->Stderr();
  }

  void ExpectAllAlive(const std::string& after) {
    for (int pid : pids_) EXPECT_TRUE(Alive(pid)) << "process " << pid << " died after " << after;
  }

  // One chat through the user's API that opens a new session (new preferences: a new RFC).
  // Returns the seconds it took, or -1 on failure.
  double NewSessionChat(int n) {
    json req = {{"model", "demo/stories:260k"},
                {"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}},
                {"max_tokens", 1},
                {"lt_want_seconds", 300 + n}};
    auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(api_port_), {3000, 30000, 10000});
    auto t0 = Clock::now();
    auto r = c->Post("/v1/chat/completions", req.dump());
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!r.ok() || r->status != 200) {
      ADD_FAILURE() << (r.ok() ? r->body : r.error().message);
      return -1;
    }
    return s;
  }

  std::string dir_;
  int api_port_ = 0;
  std::unique_ptr<LtProcess> devnet_;
  json net_;
  std::vector<int> pids_;
};

TEST_F(HostileTest, MalformedInputEndsNoProcess) {
  int router = PortOf(net_["routers"][0]["url"]), ledger = PortOf(net_["ledger"]["url"]);
  int gateway = PortOf(net_["providers"][0]["http"]);
  std::string huge(60000, 'a');
  // C2: 60 KB URLs, once a stack overflow in std::regex.
  for (auto [port, path] : {std::pair{router, "/holders/"}, std::pair{ledger, "/account/"},
                            std::pair{gateway, "/ipfs/"}, std::pair{api_port_, "/v1/models/"}}) {
    EXPECT_EQ(RawStatus(port, "GET " + std::string(path) + huge + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414) << path;
  }
  ExpectAllAlive("long URLs");
  // H3: 200,000 nested '[' to the ledger's POST /txs.
  std::string deep = "{\"txs\":" + std::string(200000, '[') + "}";
  EXPECT_EQ(RawStatus(ledger, "POST /txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                                  std::to_string(deep.size()) + "\r\n\r\n" + deep),
            400);
  // M1 and C1 through the user's API.
  auto api = [&](const std::string& body) {
    return RawStatus(api_port_, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  EXPECT_EQ(api(R"({"model":"demo/stories:260k","messages":[{"role":"user","content":"hi"}],"x":)" +
                std::string(100000, '[') + std::string(100000, ']') + "}"),
            400);
  EXPECT_EQ(api(R"({"model":"demo/stories:260k","messages":[{"role":5,"content":"hi"}]})"), 400);
  // L3: the ledger's log past the end is empty, not the start again.
  auto l = net::HttpClient::Create(net_["ledger"]["url"].get<std::string>())->Get("/txs?from=18446744073709551615");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->status, 200);
  EXPECT_TRUE(json::parse(l->body)["txs"].empty()) << l->body.substr(0, 300);
  ExpectAllAlive("malformed bodies");
  EXPECT_GT(NewSessionChat(0), 0);
}

TEST_F(HostileTest, H2_FloodsOnEveryRoleDoNotStopTheRfcPath) {
  double before = NewSessionChat(1);
  ASSERT_GT(before, 0);
  std::vector<std::unique_ptr<Flood>> floods;
  floods.push_back(std::make_unique<Flood>(PortOf(net_["routers"][0]["url"]), 80, 40, true));
  floods.push_back(std::make_unique<Flood>(PortOf(net_["ledger"]["url"]), 80, 40, true));
  floods.push_back(std::make_unique<Flood>(api_port_, 60, 40, true));
  floods.push_back(std::make_unique<Flood>(PortOf(net_["providers"][0]["http"]), 60, 40, true));
  floods.push_back(std::make_unique<Flood>(PortOf(net_["providers"][0]["session"]), 40, 20, false));
  size_t total = 0;
  for (const auto& f : floods) total += f->connections();
  EXPECT_GE(total, 500u);
  // The held connections settle in; every new chat opens a new session (a new RFC, a liveness
  // check, a handshake) while they are held. The best of three must take under a second.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  double best = 1e9;
  for (int i = 0; i < 3; ++i) {
    double s = NewSessionChat(10 + i);
    if (s > 0) best = std::min(best, s);
  }
  EXPECT_LT(best, 1.0) << "opening a session under the flood took " << best << " s (before: " << before << " s)";
  for (auto& f : floods) f->Stop();
  ExpectAllAlive("the floods");
  // No router banned a provider for slow liveness answers during the flood.
  for (const auto& r : net_["routers"]) {
    auto p = net::HttpClient::Create(r["url"].get<std::string>())->Get("/providers");
    ASSERT_TRUE(p.ok());
    json list = json::parse(p->body, nullptr, false);
    const json& ps = list.is_object() && list.contains("providers") ? list["providers"] : list;
    for (const auto& prov : ps) EXPECT_EQ(prov.value("banned_ms", 0), 0) << prov.dump();
  }
}

}  // namespace
}  // namespace lt::test
