// A stranger's bytes against running `lt` processes on 127.0.0.1: one request whose path holds
// invalid UTF-8 (GET /x%ff) ended a ledger, a router, a provider or a builder's store at once
// (the 404 quoting the path was made on the event loop, and json::dump threw there), and bodies
// with a value of an unexpected JSON type were answered 500 with nlohmann's exception text. Each
// role must answer such requests with a 4xx that says what was wrong, and go on serving.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "integration/ledger_process.h"
#include "net/http_test_support.h"
#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

using nlohmann::json;

struct RawAnswer {
  int status = 0;  // 0 when no answer came
  std::string text;
};

// Sends `req` on a fresh connection and reads one answer (net's RawConn), for up to 10 s.
RawAnswer Raw(int port, const std::string& req) {
  RawAnswer out;
  net::testing::RawConn conn(port);
  if (!conn.ok() || !conn.Send(req)) return out;
  if (auto r = conn.Read(10000)) {
    out.status = r->status;
    out.text = r->raw;
  }
  return out;
}

std::string Get(const std::string& target) { return "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"; }
std::string Post(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// "http://127.0.0.1:P[/v1]" -> P.
int PortOf(std::string url) {
  if (url.rfind("http://", 0) == 0) url = url.substr(7);
  url = url.substr(0, url.find('/'));
  return std::stoi(url.substr(url.rfind(':') + 1));
}

bool Alive(int pid) { return pid > 0 && ::kill(pid, 0) == 0; }

// Every answer below must arrive, be a 4xx, and carry no library exception text.
void ExpectRefusal(int port, const std::string& req, const std::string& what) {
  RawAnswer r = Raw(port, req);
  EXPECT_GE(r.status, 400) << what << ": no answer or not an error:\n" << r.text.substr(0, 400);
  EXPECT_LT(r.status, 500) << what << ":\n" << r.text.substr(0, 400);
  EXPECT_EQ(r.text.find("json.exception"), std::string::npos) << what << ":\n" << r.text.substr(0, 400);
}

TEST(HostileStrangerTest, LedgerAnswersInvalidUtf8AndMistypedDomainsAndStaysUp) {
  std::string dir = TempDir("lt-stranger-ledger");
  ledger::Genesis g = ledger::DevGenesis(86400, static_cast<uint64_t>(std::time(nullptr)), {});
  int port = 0;
  std::unique_ptr<LtProcess> ledger;
  ASSERT_EQ(StartLedger(dir, g, &port, &ledger), "");
  ExpectRefusal(port, Get("/no/such/route%ff"), "GET /no/such/route%ff");
  ASSERT_TRUE(ledger->Running()) << "GET /no/such/route%ff ended the ledger:\n" << ledger->Stderr();
  ExpectRefusal(port, Get("/account/%ff"), "GET /account/%ff");
  ExpectRefusal(port, Get("/models/%c3%28"), "GET /models/%c3%28");
  json tx = {{"type", "deposit"},
             {"domain", {{"name", 5}, {"version", "1"}}},
             {"message", json::object()},
             {"signature", "0x00"}};
  ExpectRefusal(port, Post("/tx", tx.dump()), "POST /tx with domain.name 5");
  tx["domain"] = {{"name", "LakeTravis"}, {"version", json::array()}};
  ExpectRefusal(port, Post("/tx", json{{"typedData", {{"domain", tx["domain"]}}}, {"signature", "0x00"}}.dump()),
                "POST /tx with typedData.domain.version []");
  EXPECT_TRUE(ledger->Running()) << ledger->Stderr();
  EXPECT_EQ(Raw(port, Get("/health")).status, 200);
}

TEST(HostileStrangerTest, EveryRoleOfADevnetAnswersAPathOfInvalidUtf8AndStaysUp) {
  std::string dir = TempDir("lt-stranger") + "/net";
  int api_port = FreePort();
  LtProcess devnet({"devnet", "--datadir", dir, "--api-port", std::to_string(api_port), "--no-showcase"});
  for (int i = 0; i < 3000 && !std::filesystem::exists(dir + "/devnet.json"); ++i) {
    ASSERT_TRUE(devnet.Running()) << devnet.Stdout() << devnet.Stderr();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  json net = json::parse(ReadFileOrEmpty(dir + "/devnet.json"));
  ASSERT_FALSE(net["user"]["api"].is_null()) << net.dump(2);
  struct Role {
    std::string name;
    int port;
    int pid;
  };
  std::vector<Role> roles = {{"ledger", PortOf(net["ledger"]["url"]), net["ledger"]["pid"].get<int>()},
                             {"store", PortOf(net["builder"]["gateway"]), net["builder"]["pid"].get<int>()},
                             {"client", api_port, net["user"]["pid"].get<int>()}};
  for (const auto& r : net["routers"]) roles.push_back({r["name"], PortOf(r["url"]), r["pid"].get<int>()});
  for (const auto& p : net["providers"]) roles.push_back({p["name"], PortOf(p["http"]), p["pid"].get<int>()});
  for (const Role& r : roles) {
    ExpectRefusal(r.port, Get("/no/such/route%ff"), r.name + ": GET /no/such/route%ff");
    ExpectRefusal(r.port, Get("/ipfs/%ff"), r.name + ": GET /ipfs/%ff");
    ExpectRefusal(r.port, "PUT /%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                  r.name + ": PUT /%ff");
  }
  for (const auto& r : net["routers"]) {
    int port = PortOf(r["url"]);
    ExpectRefusal(port, Get("/holders/%ff"), "router: GET /holders/%ff");
    ExpectRefusal(port, Get("/routing/v1/providers/%ff"), "router: GET /routing/v1/providers/%ff");
    ExpectRefusal(port, Get("/reports/%ff"), "router: GET /reports/%ff");
    // An unknown key of 40 two-byte characters is quoted cut at 64 bytes, inside a character.
    std::string key;
    for (int i = 0; i < 40; ++i) key += "\xc3\xa9";
    ExpectRefusal(port, Post("/rfc", json{{key, 1}}.dump()), "router: POST /rfc with a long unknown key");
  }
  // A malformed model name is the caller's mistake (400), not a bad gateway (502, which OpenAI
  // clients retry).
  for (const char* model : {"x", "ACME/x"}) {
    json chat = {{"model", model}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", 1}};
    RawAnswer a = Raw(api_port, Post("/v1/chat/completions", chat.dump()));
    EXPECT_EQ(a.status, 400) << model << ":\n" << a.text.substr(0, 400);
  }
  for (const Role& r : roles) {
    EXPECT_TRUE(Alive(r.pid)) << r.name << " (pid " << r.pid << ") ended";
    EXPECT_GT(Raw(r.port, Get("/health")).status, 0) << r.name << " no longer answers";
  }
  EXPECT_EQ(devnet.Stop(SIGINT, 60000), 0) << devnet.Stderr();
}

}  // namespace
}  // namespace lt::test
