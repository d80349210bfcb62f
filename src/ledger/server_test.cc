// The HTTP API's handling of bad input: malformed and oversized bodies, unknown routes, bad
// addresses and queries all get a JSON error, change nothing, and the service stays up.
#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "ledger/test_fixture.h"

namespace lt::ledger {
namespace {

using testing::Mor;
using testing::TestKey;

class LedgerServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    genesis_ = DevGenesis(1000, clock_.NowSeconds(), {{TestKey(1).GetAddress(), Mor("10"), Mor("10")}});
    h_ = testing::MakeHarness(testing::BackendKind::kRemoteHttp, genesis_, &clock_);
    ASSERT_NE(h_, nullptr);
    auto c = net::HttpClient::Create(BaseUrl());
    ASSERT_TRUE(c.ok());
    client_.emplace(std::move(*c));
  }
  std::string BaseUrl() {
    // The harness's remote ledger knows the URL through its genesis fetch; rebuild it from /health.
    return "http://127.0.0.1:" + std::to_string(Port());
  }
  int Port() { return port_ ? port_ : (port_ = FindPort()); }
  int FindPort() {
    // MakeHarness listens on an ephemeral port; RemoteLedger holds its base URL privately, so we
    // start a second server on a known port over the same embedded ledger.
    server2_ = std::make_unique<LedgerServer>(*h_->embedded, LedgerServerOptions{4096, 2, 0, 1000});
    int p = *server2_->Listen("127.0.0.1", 0);
    server2_->Start();
    return p;
  }
  void ExpectError(const Result<net::HttpClientResponse>& r, int status, const std::string& code) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, status) << r->body;
    auto j = r->Json();
    ASSERT_TRUE(j.ok()) << r->body;
    EXPECT_EQ((*j)["error"]["code"], code) << r->body;
    EXPECT_TRUE((*j)["error"]["message"].is_string());
  }
  void TearDown() override {
    if (server2_) server2_->Stop();
  }

  FakeClock clock_;
  Genesis genesis_;
  std::unique_ptr<testing::Harness> h_;
  std::unique_ptr<LedgerServer> server2_;
  std::optional<net::HttpClient> client_;
  int port_ = 0;
};

TEST_F(LedgerServerTest, BadRequestsGetJsonErrorsAndChangeNothing) {
  Hash32 before = h_->embedded->GetStateInfo()->state_hash;
  ExpectError(client_->Post("/tx", "{not json"), 400, "invalid_argument");
  ExpectError(client_->Post("/tx", "[]"), 400, "invalid_argument");
  ExpectError(client_->Post("/tx", R"({"type":"transfer","message":{},"signature":"0x00"})"), 400,
              "invalid_argument");
  ExpectError(client_->Post("/tx", std::string(8192, 'x')), 413, "resource_exhausted");
  ExpectError(client_->Get("/no/such/route"), 404, "not_found");
  ExpectError(client_->Get("/account/0x1234"), 400, "invalid_argument");
  ExpectError(client_->Get("/models/acme/none"), 404, "not_found");
  ExpectError(client_->Get("/models/BAD"), 400, "invalid_argument");
  ExpectError(client_->Get("/txs?from=abc"), 400, "invalid_argument");
  ExpectError(client_->Post("/txs", "{}"), 400, "invalid_argument");
  // A well-formed transaction with a forged signature.
  Tx t;
  t.type = TxType::kDeposit;
  t.amount = Mor("1");
  SignedTx s = SignTx(t, TestKey(2), h_->embedded->domain());
  s.tx.sender = TestKey(1).GetAddress();
  ExpectError(client_->Post("/tx", SignedTxToJson(s).dump()), 401, "unauthenticated");
  EXPECT_EQ(h_->embedded->GetStateInfo()->state_hash, before);
  // Still up and serving.
  auto health = client_->Get("/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  // A good one in the typed-data form goes through.
  SignedTx good = SignTx(t, TestKey(1), h_->embedded->domain());
  nlohmann::json typed = {{"typedData", TxTypedData(good.tx, h_->embedded->domain())},
                          {"signature", HexEncode0x(good.signature)}};
  auto r = client_->Post("/tx", typed.dump());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(h_->embedded->GetStateInfo()->state_hash, before);
}

TEST_F(LedgerServerTest, HostileBytesAndTypesGet4xxWithoutExceptionText) {
  // Each of these was a 500 quoting nlohmann's exception ("[json.exception.type_error...]"), and
  // GET /no%ff ended the ledger process (the 404 was made on the event loop).
  Tx t;
  t.type = TxType::kDeposit;
  t.amount = Mor("1");
  nlohmann::json tx = SignedTxToJson(SignTx(t, TestKey(1), h_->embedded->domain()));
  tx["domain"] = h_->embedded->domain().ToJson();
  tx["domain"]["name"] = 5;
  ExpectError(client_->Post("/tx", tx.dump()), 401, "unauthenticated");
  tx["domain"]["name"] = "LakeTravis";
  tx["domain"]["version"] = nlohmann::json::array();
  ExpectError(client_->Post("/tx", tx.dump()), 401, "unauthenticated");
  ExpectError(client_->Get("/account/%ff"), 400, "invalid_argument");
  ExpectError(client_->Get("/models/%ff%fe"), 400, "invalid_argument");
  ExpectError(client_->Get("/no/such/route%ff"), 404, "not_found");
  for (const char* path : {"/account/%ff", "/no/such/route%ff"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r.ok()) << path << ": " << r.error().message;
    EXPECT_EQ(r->body.find("json.exception"), std::string::npos) << path << ": " << r->body;
  }
  auto health = client_->Get("/health");
  ASSERT_TRUE(health.ok()) << health.error().message;
  EXPECT_EQ(health->status, 200);
}

TEST_F(LedgerServerTest, ReadEndpointsAnswerJson) {
  for (const char* path :
       {"/models", "/providers", "/day", "/stats", "/genesis", "/state", "/txs", "/health"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r.ok()) << path;
    EXPECT_EQ(r->status, 200) << path << " " << r->body;
    EXPECT_TRUE(r->Json().ok()) << path;
  }
  auto acct = client_->Get("/account/" + TestKey(1).GetAddress().ToChecksumHex());
  ASSERT_TRUE(acct.ok());
  auto j = *acct->Json();
  EXPECT_EQ(j["wallet"], Mor("10").ToDecimal());
  auto state = *client_->Get("/state")->Json();
  EXPECT_EQ(state["invariant_ok"], true);
}

// The client side: a ledger's error body is input too. {"error":{"message":5}} threw out of
// RemoteLedger (json::value), ending whichever thread asked (a router's settlement loop).
TEST(RemoteLedgerTest, ErrorBodyOfAnotherShapeIsAnErrorNotAnException) {
  net::HttpServer fake;
  Genesis g = DevGenesis(1000, 1767225600, {{TestKey(1).GetAddress(), Mor("10"), Mor("10")}});
  fake.Get("/genesis", [&g](const net::HttpRequest&) { return net::HttpResponse::Json(200, GenesisToJson(g)); });
  fake.Get("/account/(.+)", [](const net::HttpRequest&) {
    return net::HttpResponse::Json(500, {{"error", {{"code", 7}, {"message", 5}}}});
  });
  auto port = fake.Listen("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  std::thread t([&] { fake.Run(); });
  struct Joiner {
    net::HttpServer& s;
    std::thread& t;
    ~Joiner() {
      s.Stop();
      t.join();
    }
  } joiner{fake, t};
  auto remote = RemoteLedger::Connect("http://127.0.0.1:" + std::to_string(*port));
  ASSERT_TRUE(remote.ok()) << remote.error().message;
  Result<AccountInfo> a = InvalidArgument("not run");
  EXPECT_NO_THROW(a = (*remote)->GetAccount(TestKey(1).GetAddress()));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kInternal) << a.error().message;
}

}  // namespace
}  // namespace lt::ledger
