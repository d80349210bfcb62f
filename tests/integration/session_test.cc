// A real `lt provider serve` (builtin engine, the shipped tiny model) driven by `lt session chat`
// through a TCP proxy that records every byte: the session works end to end, the prompt and the
// output never cross the wire in clear, refusals are clear, receipts match what the user signed,
// and a provider killed with SIGKILL costs the user only the vouchers it signed.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "crypto/keys.h"
#include "net/http.h"
#include "support/ports.h"
#include "support/process.h"
#include "wire/messages.h"

namespace lt::test {
namespace {

using nlohmann::json;

constexpr const char* kContract = "0x00000000000000000000000000000000000000aa";
constexpr const char* kManifest = "0x1111111111111111111111111111111111111111111111111111111111111111";

// Forwards 127.0.0.1:port() to 127.0.0.1:target and keeps a copy of all bytes, both directions.
class RecordingProxy {
 public:
  explicit RecordingProxy(int target) : target_(target) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    port_ = FreePort();
    a.sin_port = htons(static_cast<uint16_t>(port_));
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) port_ = 0;
    ::listen(listen_fd_, 8);
    thread_ = std::thread([this] { Loop(); });
  }
  ~RecordingProxy() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::string Captured() {
    std::lock_guard<std::mutex> l(mu_);
    return captured_;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(listen_fd_, nullptr, nullptr);
      if (c < 0) continue;
      int u = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(target_));
      if (::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(c);
        ::close(u);
        continue;
      }
      Pipe(c, u);
      ::close(c);
      ::close(u);
    }
  }
  void Pipe(int a, int b) {
    char buf[16384];
    while (!stop_) {
      pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (::poll(p, 2, 100) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0) return;
        {
          std::lock_guard<std::mutex> l(mu_);
          captured_.append(buf, static_cast<size_t>(n));
        }
        if (::write(p[1 - i].fd, buf, static_cast<size_t>(n)) != n) return;
      }
    }
  }
  int target_, listen_fd_, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::string captured_;
};

std::string NewKey(const std::string& dir, const std::string& name) {
  auto r = RunLt({"--json", "key", "new", "--keystore", dir + "/" + name + ".json", "--password-file", dir + "/pw",
                  "--light"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out, nullptr, false).value("address", "");
}

class SessionIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = TempDir("lt-session");
    WriteFile(dir + "/pw", "test password\n");
    provider = NewKey(dir, "provider");
    user = NewKey(dir, "user");
    router = NewKey(dir, "router");
    session_port = FreePort();
    http_port = FreePort();
    std::string models = ModelsDir();
    WriteFile(dir + "/provider.toml",
              "# integration test provider\n"
              "keystore = \"provider.json\"\n"
              "password_file = \"pw\"\n"
              "listen = \"127.0.0.1:" + std::to_string(session_port) + "\"\n"
              "http_listen = \"127.0.0.1:" + std::to_string(http_port) + "\"\n"
              "endpoint = \"127.0.0.1:" + std::to_string(session_port) + "\"\n"
              "chain_id = 31337\n"
              "verifying_contract = \"" + kContract + "\"\n"
              "accepted_routers = [\"" + router + "\"]\n"
              "meter_interval_seconds = 1\n"
              "\n[[model]]\n"
              "name = \"tiny/stories:260k\"\n"
              "path = \"" + models + "/stories260K.bin\"\n"
              "tokenizer = \"" + models + "/tok512.bin\"\n"
              "manifest = \"" + kManifest + "\"\n"
              "backend = \"builtin\"\n"
              "price = \"0.001\"\n"
              "min_seconds = 1\n"
              "slots = 4\n"
              "threads = 1\n");
    proc = std::make_unique<LtProcess>(
        std::vector<std::string>{"--datadir", dir + "/data", "provider", "serve", "--config", dir + "/provider.toml"});
    ASSERT_TRUE(WaitForHttp("127.0.0.1", http_port, "/health")) << proc->Stderr();
  }

  std::string Ticket(const std::string& for_provider, const std::string& name, int max_seconds = 600) {
    std::string path = dir + "/" + name + ".ticket.json";
    auto r = RunLt({"session", "ticket", "--keystore", dir + "/router.json", "--password-file", dir + "/pw",
                    "--chain-id", "31337", "--verifying-contract", kContract, "--user", user, "--provider",
                    for_provider, "--manifest", kManifest, "--price", "0.001", "--min-seconds", "1",
                    "--max-seconds", std::to_string(max_seconds), "--out", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  }

  std::vector<std::string> ChatArgs(int port, const std::string& ticket, const std::string& prompt, int hold) {
    return {"--json", "session", "chat", "--keystore", dir + "/user.json", "--password-file", dir + "/pw",
            "--chain-id", "31337", "--verifying-contract", kContract, "--provider",
            "127.0.0.1:" + std::to_string(port), "--ticket", ticket, "--prompt", prompt, "--max-tokens", "60",
            "--seed", "7", "--hold-seconds", std::to_string(hold)};
  }

  std::string dir, provider, user, router;
  int session_port = 0, http_port = 0;
  std::unique_ptr<LtProcess> proc;
};

TEST_F(SessionIntegrationTest, StreamsPrivatelyAndSettlesWhatTheUserSigned) {
  RecordingProxy proxy(session_port);
  ASSERT_NE(proxy.port(), 0);
  const std::string prompt = "Once upon a time a purple dragon whispered";
  auto r = RunLt(ChatArgs(proxy.port(), Ticket(provider, "good"), prompt, 3));
  ASSERT_EQ(r.exit_code, 0) << r.err << "\nprovider: " << proc->Stderr();
  json out = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << r.out;
  std::string text = out["text"];
  ASSERT_GE(text.size(), 20u) << "the tiny model should write a story";

  // Nothing readable on the wire: not the prompt, not the output, not a long piece of either.
  std::string wire = proxy.Captured();
  ASSERT_GT(wire.size(), 515u);
  EXPECT_EQ(wire.find(prompt), std::string::npos);
  EXPECT_EQ(wire.find("purple dragon"), std::string::npos);
  EXPECT_EQ(wire.find(text), std::string::npos);
  for (size_t i = 0; i + 12 <= text.size(); i += 6) {
    EXPECT_EQ(wire.find(text.substr(i, 12)), std::string::npos) << "output fragment in clear: " << text.substr(i, 12);
  }
  EXPECT_EQ(wire.find("messages"), std::string::npos);

  // Metering ran (1 s interval, held 3 s) and the final voucher closes the session.
  ASSERT_TRUE(out.contains("final_voucher"));
  EXPECT_TRUE(out["final_voucher"]["final"].get<bool>());
  uint32_t final_seconds = out["final_voucher"]["seconds"];
  EXPECT_GE(final_seconds, 2u);
  EXPECT_GE(out["vouchers"].size(), 2u);
  EXPECT_GT(out["final_voucher"]["tokensOut"].get<uint32_t>(), 5u);

  // The provider's receipt carries exactly that voucher, priced at 0.001 MOR/s.
  std::string spool;
  for (int i = 0; i < 50 && spool.empty(); ++i) {
    spool = ReadFileOrEmpty(dir + "/data/receipts.jsonl");
    if (spool.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(spool.empty()) << proc->Stderr();
  json receipt = json::parse(spool.substr(0, spool.find('\n')));
  EXPECT_EQ(receipt["voucher"], out["final_voucher"]);
  EXPECT_EQ(receipt["cost"], std::to_string(final_seconds) + "000000000000000");

  auto st = RunLt({"--json", "provider", "status", "--url", "http://127.0.0.1:" + std::to_string(http_port)});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  json sj = json::parse(st.out);
  EXPECT_EQ(sj["total_sessions"], 1);
  EXPECT_EQ(sj["earned"], receipt["cost"]);
}

// A router's batched liveness check (doc/router.md "Liveness"): one Pong per challenge, in order,
// each signed by the provider's key for its own challenge; bad bodies get 400.
TEST_F(SessionIntegrationTest, BatchedPingSignsEachChallenge) {
  auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(http_port));
  ASSERT_TRUE(c.ok());
  wire::Domain domain(U256(31337), *crypto::ParseAddress(kContract));
  json challenges = json::array();
  for (int i = 0; i < 5; ++i) challenges.push_back("0x" + std::string(62, '0') + "0" + std::to_string(i + 1));
  auto r = c->Post("/ping", json{{"challenges", challenges}}.dump());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  json pongs = json::parse(r->body)["pongs"];
  ASSERT_EQ(pongs.size(), 5u);
  for (size_t i = 0; i < pongs.size(); ++i) {
    auto pong = wire::Pong::FromJson(pongs[i]["pong"]);
    ASSERT_TRUE(pong.ok()) << pongs[i].dump();
    EXPECT_EQ(HexEncode0x(pong->challenge), challenges[i].get<std::string>());
    auto sig = crypto::ParseSignature(pongs[i]["signature"].get<std::string>());
    ASSERT_TRUE(sig.ok());
    auto signer = pong->Recover(domain, *sig);
    ASSERT_TRUE(signer.ok());
    auto want = crypto::ParseAddress(provider);
    ASSERT_TRUE(want.ok()) << provider;
    EXPECT_EQ(*signer, *want);
  }
  for (const std::string& bad : {std::string("{}"), std::string(R"({"challenges":[]})"),
                                 std::string(R"({"challenges":["0x12"]})"), std::string("not json"),
                                 json{{"challenges", json(std::vector<std::string>(65, challenges[0]))}}.dump()}) {
    auto b = c->Post("/ping", bad);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->status, 400) << bad << " -> " << b->body;
  }
  auto named = c->Post("/ping", R"({"challenges":["0x)" + std::string(64, '1') + R"(", 7]})");
  ASSERT_TRUE(named.ok());
  EXPECT_NE(named->body.find("challenges[1]"), std::string::npos) << named->body;
}

TEST_F(SessionIntegrationTest, TicketForAnotherProviderIsRefusedClearly) {
  auto r = RunLt(ChatArgs(session_port, Ticket(user, "wrong"), "hello", 0));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ticket is for provider"), std::string::npos) << r.err;
}

TEST_F(SessionIntegrationTest, GarbageGetsAnErrorFrameAndOtherSessionsStillWork) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(session_port));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const char junk[] = "\xff\xff\xff\xff garbage";
  ASSERT_GT(::write(fd, junk, sizeof junk - 1), 0);
  std::string got;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  ASSERT_GE(got.size(), 5u);
  EXPECT_EQ(static_cast<uint8_t>(got[4]), 0x04);  // error frame, then the provider closed
  EXPECT_NE(got.find("frame length"), std::string::npos);

  auto r = RunLt(ChatArgs(session_port, Ticket(provider, "after"), "Once upon a time", 0));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// C1: a chat request whose message "role" is a number aborted every provider (a library exception
// on the session thread). It is refused with a clear error, and the provider keeps serving.
TEST_F(SessionIntegrationTest, C1_MalformedRequestsAreRefusedAndTheProviderLives) {
  for (const std::string& body :
       {std::string(R"({"messages":[{"role":5,"content":"hi"}]})"),
        std::string(R"({"messages":[{"role":"user","content":{"nested":[1,2]}}]})"),
        std::string(R"({"messages":[{"role":"user","content":"hi"}],"max_tokens":"10"})"),
        std::string(R"({"messages":[{"role":"user","content":"hi"}],"temperature":{}})"),
        std::string(R"({"messages":"all of them"})"), std::string("[1,2,3]")}) {
    WriteFile(dir + "/bad.json", body);
    std::vector<std::string> args = ChatArgs(session_port, Ticket(provider, "bad"), "x", 0);
    auto at = std::find(args.begin(), args.end(), "--prompt");
    args.erase(at, at + 2);
    args.push_back("--request");
    args.push_back(dir + "/bad.json");
    auto r = RunLt(args);
    EXPECT_EQ(r.exit_code, 1) << body << "\n" << r.out << r.err;
    EXPECT_TRUE(proc->Running()) << "the provider died on " << body << "\n" << proc->Stderr();
  }
  auto ok = RunLt(ChatArgs(session_port, Ticket(provider, "after-bad"), "Once upon a time", 0));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// M3: used session ids lived only in memory, so after a restart a used ticket opened a second
// session, served unpaid. They are kept on disk until the ticket expires.
TEST_F(SessionIntegrationTest, M3_AUsedTicketIsRefusedAfterAProviderRestart) {
  std::string ticket = Ticket(provider, "once");
  auto first = RunLt(ChatArgs(session_port, ticket, "Once upon a time", 0));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(proc->Stop(SIGTERM, 20000), 0) << proc->Stderr();
  proc = std::make_unique<LtProcess>(
      std::vector<std::string>{"--datadir", dir + "/data", "provider", "serve", "--config", dir + "/provider.toml"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", http_port, "/health")) << proc->Stderr();
  auto again = RunLt(ChatArgs(session_port, ticket, "Once upon a time", 0));
  EXPECT_EQ(again.exit_code, 1) << again.out;
  EXPECT_NE(again.err.find("already opened"), std::string::npos) << again.err;
  auto fresh = RunLt(ChatArgs(session_port, Ticket(provider, "fresh"), "Once upon a time", 0));
  EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
}

TEST_F(SessionIntegrationTest, KilledProviderCostsOnlyWhatTheUserSigned) {
  LtProcess chat(ChatArgs(session_port, Ticket(provider, "kill"), "Once upon a time", 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  proc->Kill9();
  auto t0 = std::chrono::steady_clock::now();
  int code = chat.Stop(0, 15000);  // signal 0: just wait for it to finish
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(waited, 10.0) << "the client must notice the dead provider";
  EXPECT_EQ(code, 0) << chat.Stderr();
  json out = json::parse(chat.Stdout(), nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << chat.Stdout() << chat.Stderr();
  EXPECT_NE(out["end_reason"].get<std::string>().find("provider closed"), std::string::npos) << out.dump();
  uint32_t max_signed = 0;
  for (const auto& v : out["vouchers"]) {
    max_signed = std::max(max_signed, v["seconds"].get<uint32_t>());
    EXPECT_FALSE(v["final"].get<bool>());
  }
  // About 3 s of metering happened before the kill; nothing after it was signed.
  EXPECT_GE(max_signed, 2u);
  EXPECT_LE(max_signed, 4u);
  EXPECT_FALSE(out.contains("final_voucher") && out["final_voucher"]["final"].get<bool>());
}

}  // namespace
}  // namespace lt::test

namespace lt::test {
namespace {

// The openai backend forwarding to a real `lt engine serve`, through a real session.
TEST(SessionOpenAiBackendTest, ForwardsToAnEngineServerAndPassesItsErrorsOn) {
  std::string dir = TempDir("lt-session-openai");
  WriteFile(dir + "/pw", "pw\n");
  std::string provider = NewKey(dir, "provider"), user = NewKey(dir, "user"), router = NewKey(dir, "router");
  int engine_port = FreePort(), session_port = FreePort(), http_port = FreePort();
  std::string models = ModelsDir();
  LtProcess engine({"engine", "serve", "--model", models + "/stories260K.bin", "--tokenizer", models + "/tok512.bin",
                    "--listen", "127.0.0.1:" + std::to_string(engine_port), "--name", "stories", "--threads", "1"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", engine_port, "/v1/models")) << engine.Stderr();
  auto toml = [&](const std::string& upstream_model) {
    return "keystore = \"provider.json\"\npassword_file = \"pw\"\n"
           "listen = \"127.0.0.1:" + std::to_string(session_port) + "\"\n"
           "http_listen = \"127.0.0.1:" + std::to_string(http_port) + "\"\n"
           "chain_id = 31337\nverifying_contract = \"" + std::string(kContract) + "\"\n"
           "accepted_routers = [\"" + router + "\"]\n"
           "[[model]]\nname = \"tiny/stories:260k\"\nbackend = \"openai\"\n"
           "upstream = \"http://127.0.0.1:" + std::to_string(engine_port) + "\"\n"
           "upstream_model = \"" + upstream_model + "\"\n"
           "manifest = \"" + std::string(kManifest) + "\"\nprice = \"0.001\"\nslots = 2\n";
  };
  WriteFile(dir + "/provider.toml", toml("stories"));
  LtProcess prov({"--datadir", dir + "/data", "provider", "serve", "--config", dir + "/provider.toml"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", http_port, "/health")) << prov.Stderr();
  auto ticket = [&](const std::string& name) {
    std::string path = dir + "/" + name;
    auto r = RunLt({"session", "ticket", "--keystore", dir + "/router.json", "--password-file", dir + "/pw",
                    "--chain-id", "31337", "--verifying-contract", kContract, "--user", user, "--provider", provider,
                    "--manifest", kManifest, "--price", "0.001", "--out", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  };
  auto chat = [&](const std::string& t) {
    return RunLt({"--json", "session", "chat", "--keystore", dir + "/user.json", "--password-file", dir + "/pw",
                  "--chain-id", "31337", "--verifying-contract", kContract, "--provider",
                  "127.0.0.1:" + std::to_string(session_port), "--ticket", t, "--prompt", "Once upon a time",
                  "--max-tokens", "40"});
  };
  auto r = chat(ticket("t1"));
  ASSERT_EQ(r.exit_code, 0) << r.err << prov.Stderr();
  json out = json::parse(r.out);
  EXPECT_GE(out["text"].get<std::string>().size(), 20u) << r.out;

  // Point the provider at a model the engine does not have: the engine's error reaches the user.
  prov.Stop();
  WriteFile(dir + "/provider.toml", toml("no-such-model"));
  LtProcess prov2({"--datadir", dir + "/data", "provider", "serve", "--config", dir + "/provider.toml"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", http_port, "/health")) << prov2.Stderr();
  r = chat(ticket("t2"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("openai backend"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HTTP 4"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lt::test
