// Router intake, liveness, tickets, receipts and settlement against an embedded ledger, with a
// fake liveness prober and a FakeClock.
#include "router/router.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <condition_variable>
#include <map>
#include <thread>

#include "ledger/embedded.h"
#include "registry/cid.h"
#include "router/server.h"
#include "rpc/router_client.h"
#include "testkit/router_world.h"
#include "wire/session_id.h"

namespace lt::router {
namespace {

using nlohmann::json;
using testkit::Key;

U256 Mor(const char* s) { return *U256::FromMor(s); }

// A ledger that can be switched off (every call fails with kUnavailable).
class FlakyLedger : public ledger::Ledger {
 public:
  explicit FlakyLedger(ledger::Ledger& inner) : inner_(inner) {}
  std::atomic<bool> down{false};
  const ledger::LedgerDomain& domain() const override { return inner_.domain(); }
  Result<ledger::SubmitResult> Submit(const ledger::SignedTx& tx) override {
    if (down) return Down();
    return inner_.Submit(tx);
  }
  Result<uint64_t> CloseDays() override { return inner_.CloseDays(); }
  Result<ledger::AccountInfo> GetAccount(const crypto::Address& a) override {
    if (down) return Down();
    return inner_.GetAccount(a);
  }
  Result<std::vector<ledger::ModelInfo>> GetModels() override { return inner_.GetModels(); }
  Result<ledger::ModelInfo> GetModel(const std::string& n) override {
    if (down) return Down();
    return inner_.GetModel(n);
  }
  Result<std::vector<ledger::ProviderInfo>> GetProviders() override {
    if (down) return Down();
    return inner_.GetProviders();
  }
  Result<ledger::DayInfo> GetDay() override { return inner_.GetDay(); }
  Result<ledger::StatsInfo> GetStats() override { return inner_.GetStats(); }
  Result<std::vector<ledger::TxLogEntry>> GetTxs(uint64_t f, uint64_t l) override { return inner_.GetTxs(f, l); }
  Result<ledger::Genesis> GetGenesis() override { return inner_.GetGenesis(); }
  Result<ledger::StateInfo> GetStateInfo() override { return inner_.GetStateInfo(); }

 private:
  static Error Down() { return MakeError(ErrorCode::kUnavailable, "connection refused"); }
  ledger::Ledger& inner_;
};

// Answers pings with Pongs signed by the provider whose URL it is (or fails on purpose).
class FakeProber : public LivenessProber {
 public:
  enum class Mode { kOk, kFail, kWrongSigner, kBusy };
  struct Entry {
    const crypto::PrivateKey* key;
    Mode mode = Mode::kOk;
    int pings = 0;
  };
  wire::Domain domain;
  const Clock* clock = nullptr;
  std::map<std::string, Entry> by_url;
  Result<PongReply> Ping(const std::string& url, const Hash32& challenge) override {
    auto it = by_url.find(url);
    if (it == by_url.end()) return MakeError(ErrorCode::kUnavailable, "no such provider " + url);
    Entry& e = it->second;
    ++e.pings;
    if (e.mode == Mode::kFail) return MakeError(ErrorCode::kUnavailable, "connection refused");
    PongReply r;
    r.pong.challenge = challenge;
    r.pong.provider = e.key->GetAddress();
    r.pong.free_slots = e.mode == Mode::kBusy ? 0 : 3;
    r.pong.at = clock->NowSeconds();
    r.signature = e.mode == Mode::kWrongSigner ? r.pong.Sign(Key(99), domain) : r.pong.Sign(*e.key, domain);
    return r;
  }
};

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("lt-router-test-" + std::to_string(getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::vector<ledger::Allocation> alloc = {
        {rich_.GetAddress(), Mor("100"), Mor("1000")},  {poor_.GetAddress(), Mor("1"), Mor("0.000000000000001")},
        {nobody_.GetAddress(), Mor("5"), U256()},       {builder_.GetAddress(), Mor("100"), U256()},
        {router_.GetAddress(), Mor("100"), U256()},     {router2_.GetAddress(), Mor("100"), U256()}};
    for (auto* p : {&p1_, &p2_, &p3_, &p4_}) alloc.push_back({p->GetAddress(), Mor("100"), U256()});
    auto g = ledger::DevGenesis(86400, clock_.NowSeconds(), alloc);
    ledger::EmbeddedOptions o;
    o.db_path = ":memory:";
    o.clock = &clock_;
    auto created = ledger::EmbeddedLedger::Create(o, g);
    ASSERT_TRUE(created.ok()) << created.error().message;
    inner_ = std::move(created).value();
    ledger_ = std::make_unique<FlakyLedger>(*inner_);
    manifest_[0] = 0xab;
    ASSERT_TRUE(testkit::PublishModel(*inner_, builder_, "acme/llama", "v1", manifest_).ok());
    ASSERT_TRUE(testkit::StakeRouter(*inner_, router_, Mor("10")).ok());
    ASSERT_TRUE(testkit::StakeRouter(*inner_, router2_, Mor("10")).ok());
    domain_ = wire::Domain(U256(inner_->domain().chain_id), inner_->domain().verifying_contract);
    prober_.domain = domain_;
    prober_.clock = &clock_;
  }
  void TearDown() override {
    router_obj_.reset();
    std::filesystem::remove_all(dir_);
  }

  void AddProvider(const crypto::PrivateKey& k, int n, uint64_t price, uint32_t tps = 50, uint32_t min_seconds = 0) {
    std::string url = "http://p" + std::to_string(n) + ":80";
    ASSERT_TRUE(testkit::RegisterProvider(*inner_, k, "127.0.0.1:" + std::to_string(9000 + n) + ";" + url, Mor("2")).ok());
    ASSERT_TRUE(testkit::SetOffer(*inner_, k, manifest_, U256(price), min_seconds, tps, 4).ok());
    prober_.by_url[url] = FakeProber::Entry{&k};
  }

  Router& MakeRouter(const crypto::PrivateKey& key = Key(20), const std::string& db = "router.db",
                     QueueOptions queue = {}) {
    RouterOptions o;
    o.db_path = (dir_ / db).string();
    o.settle_every_receipts = 1000;
    o.queue = queue;
    o.max_roots_per_announcer = 3;
    LivenessProber* prober = prober_override_ ? prober_override_ : &prober_;
    auto r = Router::Create(o, *ledger_, *crypto::PrivateKey::FromBytes(key.secret().span()), &clock_, &rng_, prober);
    EXPECT_TRUE(r.ok()) << r.error().message;
    router_obj_ = std::move(*r);
    return *router_obj_;
  }

  wire::Rfc Rfc(const crypto::PrivateKey& user, uint64_t nonce, uint64_t max_price = 1000, uint32_t want = 60) {
    wire::Rfc r;
    r.user = user.GetAddress();
    r.model = "acme/llama:v1";
    r.max_price_per_second = U256(max_price);
    r.want_seconds = want;
    r.nonce = nonce;
    r.expires_at = clock_.NowSeconds() + 60;
    return r;
  }
  std::string Body(const wire::Rfc& r, const crypto::PrivateKey& signer) {
    return wire::RfcRequest::Make(r, signer, domain_).ToJson().dump();
  }
  static json J(const net::HttpResponse& r) { return json::parse(r.body); }
  static std::string Code(const net::HttpResponse& r) { return J(r)["error"]["code"].get<std::string>(); }

  FakeClock clock_;
  SeededRandom rng_{42};
  std::filesystem::path dir_;
  crypto::PrivateKey rich_ = Key(1), poor_ = Key(2), nobody_ = Key(3), builder_ = Key(4);
  crypto::PrivateKey router_ = Key(20), router2_ = Key(21);
  crypto::PrivateKey p1_ = Key(31), p2_ = Key(32), p3_ = Key(33), p4_ = Key(34);
  std::unique_ptr<ledger::EmbeddedLedger> inner_;
  std::unique_ptr<FlakyLedger> ledger_;
  Hash32 manifest_{};
  wire::Domain domain_;
  FakeProber prober_;
  LivenessProber* prober_override_ = nullptr;
  std::unique_ptr<Router> router_obj_;
};

// Holds every ping until released (to keep the router's matching slots busy), then answers
// through the FakeProber.
class BlockingProber : public LivenessProber {
 public:
  explicit BlockingProber(FakeProber& inner) : inner_(inner) {}
  Result<PongReply> Ping(const std::string& url, const Hash32& challenge) override {
    std::unique_lock<std::mutex> l(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(l, [&] { return released_; });
    return inner_.Ping(url, challenge);
  }
  void WaitEntered(int n) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return entered_ >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  FakeProber& inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool released_ = false;
};

std::string TestCid(int i) {
  std::string block = "block " + std::to_string(i);
  return registry::Cid::Of(registry::kCodecRaw, ByteSpan(reinterpret_cast<const uint8_t*>(block.data()), block.size()))
      .ToString();
}

TEST_F(RouterTest, SignedRfcGetsACheapestLiveTicket) {
  AddProvider(p1_, 1, 500);
  AddProvider(p2_, 2, 200);
  Router& r = MakeRouter();
  auto res = r.HandleRfc(Body(Rfc(rich_, 1), rich_));
  ASSERT_EQ(res.status, 200) << res.body;
  auto g = wire::TicketGrant::FromJson(J(res));
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(J(res), g->ToJson()) << "the answer is exactly wire::TicketGrant's JSON";
  const wire::Ticket& t = g->ticket.ticket;
  EXPECT_EQ(t.provider, p2_.GetAddress());
  EXPECT_EQ(g->endpoint, "127.0.0.1:9002");
  EXPECT_EQ(g->model, "acme/llama:v1");
  EXPECT_EQ(t.user, rich_.GetAddress());
  EXPECT_EQ(t.router, router_.GetAddress());
  EXPECT_EQ(t.manifest, manifest_);
  EXPECT_EQ(t.price_per_second, U256(200));
  EXPECT_EQ(t.max_seconds, 60u);
  EXPECT_EQ(t.expires_at, clock_.NowSeconds() + 600);
  EXPECT_EQ(*t.Recover(domain_, g->ticket.router_sig), router_.GetAddress());
  EXPECT_EQ(r.ExposureOf(rich_.GetAddress()), U256(200 * 60));
}

// Session ids are the router's address and a sequence (doc/wire.md "Session ids"), counted up
// in blocks of 2^16 reserved in the database: a restarted router resumes after its last block.
TEST_F(RouterTest, SessionIdsAreTheRoutersAddressAndASequenceThatSurvivesARestart) {
  AddProvider(p1_, 1, 1000);
  auto sequence = [](const Hash32& id) {
    uint64_t n = 0;
    for (int i = 24; i < 32; ++i) n = (n << 8) | id[i];
    return n;
  };
  Hash32 first{}, second{};
  {
    Router& r = MakeRouter();
    auto a = wire::TicketGrant::FromJson(J(r.HandleRfc(Body(Rfc(rich_, 1), rich_))));
    auto b = wire::TicketGrant::FromJson(J(r.HandleRfc(Body(Rfc(rich_, 2), rich_))));
    ASSERT_TRUE(a.ok() && b.ok());
    first = a->ticket.ticket.session_id;
    second = b->ticket.ticket.session_id;
    router_obj_.reset();
  }
  EXPECT_TRUE(wire::SessionIdIsRouters(first, router_.GetAddress()));
  EXPECT_EQ(sequence(first), 1u);
  EXPECT_EQ(sequence(second), 2u);
  EXPECT_EQ(std::vector<uint8_t>(first.begin() + 20, first.begin() + 24), std::vector<uint8_t>(4, 0));
  Router& r = MakeRouter();
  auto c = wire::TicketGrant::FromJson(J(r.HandleRfc(Body(Rfc(rich_, 3), rich_))));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(wire::SessionIdIsRouters(c->ticket.ticket.session_id, router_.GetAddress()));
  EXPECT_EQ(sequence(c->ticket.ticket.session_id), 1u + (uint64_t{1} << 16));  // after the reserved block
}

TEST_F(RouterTest, ReplayedExpiredAndWronglySignedRfcsAreRefused) {
  AddProvider(p1_, 1, 100);
  Router& r = MakeRouter();
  std::string body = Body(Rfc(rich_, 7), rich_);
  ASSERT_EQ(r.HandleRfc(body).status, 200);
  auto replay = r.HandleRfc(body);
  EXPECT_EQ(replay.status, 409);
  EXPECT_EQ(Code(replay), "replayed");
  // Out of order nonces are fine.
  EXPECT_EQ(r.HandleRfc(Body(Rfc(rich_, 3), rich_)).status, 200);
  auto old = Rfc(rich_, 8);
  old.expires_at = clock_.NowSeconds();
  auto expired = r.HandleRfc(Body(old, rich_));
  EXPECT_EQ(expired.status, 409);
  EXPECT_EQ(Code(expired), "expired");
  auto forged = r.HandleRfc(Body(Rfc(rich_, 9), poor_));  // signed by someone else
  EXPECT_EQ(forged.status, 401);
  EXPECT_NE(forged.body.find("recovered " + poor_.GetAddress().ToChecksumHex()), std::string::npos);
  wire::Domain other(U256(1), inner_->domain().verifying_contract);
  auto wrong_domain = r.HandleRfc(wire::RfcRequest::Make(Rfc(rich_, 10), rich_, other).ToJson().dump());
  EXPECT_EQ(wrong_domain.status, 401);
  // A replay after a restart is still refused (nonces are stored).
  router_obj_.reset();
  Router& again = MakeRouter();
  EXPECT_EQ(again.HandleRfc(body).status, 409);
}

TEST_F(RouterTest, BadInputGetsClearErrors) {
  AddProvider(p1_, 1, 100);
  Router& r = MakeRouter();
  EXPECT_EQ(r.HandleRfc("{not json").status, 400);
  EXPECT_EQ(r.HandleRfc("[]").status, 400);
  EXPECT_EQ(r.HandleRfc(R"({"rfc":{},"signature":"0x00"})").status, 400);
  json extra = json::parse(Body(Rfc(rich_, 1), rich_));
  extra["rfc"]["bogus"] = 1;
  EXPECT_EQ(r.HandleRfc(extra.dump()).status, 400);
  // A price of zero, and one beyond uint256.
  auto zero = r.HandleRfc(Body(Rfc(rich_, 2, 0), rich_));
  EXPECT_EQ(zero.status, 400);
  EXPECT_NE(zero.body.find("maxPricePerSecond"), std::string::npos);
  json huge = json::parse(Body(Rfc(rich_, 3), rich_));
  huge["rfc"]["maxPricePerSecond"] = "1" + std::string(80, '0');
  auto h = r.HandleRfc(huge.dump());
  EXPECT_EQ(h.status, 400);
  EXPECT_NE(h.body.find("maxPricePerSecond"), std::string::npos);
  // An oversized model string.
  auto big = Rfc(rich_, 4);
  big.model = std::string(70000, 'a');
  EXPECT_EQ(r.HandleRfc(Body(big, rich_)).status, 400);
  // Unknown models: 404, counted per model and reason.
  auto unknown = Rfc(rich_, 5);
  unknown.model = "acme/nothing:v1";
  auto u = r.HandleRfc(Body(unknown, rich_));
  EXPECT_EQ(u.status, 404);
  EXPECT_EQ(Code(u), "unknown_model");
  auto tag = Rfc(rich_, 6);
  tag.model = "acme/llama:v9";
  EXPECT_EQ(r.HandleRfc(Body(tag, rich_)).status, 404);
  auto bad_name = Rfc(rich_, 11);
  bad_name.model = "Not A Name";
  EXPECT_EQ(r.HandleRfc(Body(bad_name, rich_)).status, 400);
  json stats = J(r.Stats());
  EXPECT_EQ(stats["unmet"]["acme/nothing:v1"]["unknown_model"], 1);
  // No MOR in the vault.
  auto nv = r.HandleRfc(Body(Rfc(nobody_, 1), nobody_));
  EXPECT_EQ(nv.status, 402);
  EXPECT_EQ(Code(nv), "no_vault");
}

TEST_F(RouterTest, UnmetReasonsAreCountedPerModel) {
  AddProvider(p1_, 1, 500, 10);
  Router& r = MakeRouter();
  auto exp = r.HandleRfc(Body(Rfc(rich_, 1, 100), rich_));
  EXPECT_EQ(exp.status, 409);
  EXPECT_EQ(Code(exp), "too_expensive");
  auto slow_rfc = Rfc(rich_, 2, 1000);
  slow_rfc.min_tps = 20;
  EXPECT_EQ(Code(r.HandleRfc(Body(slow_rfc, rich_))), "too_slow");
  prober_.by_url["http://p1:80"].mode = FakeProber::Mode::kBusy;
  EXPECT_EQ(Code(r.HandleRfc(Body(Rfc(rich_, 3), rich_))), "all_busy");
  json stats = J(r.Stats());
  EXPECT_EQ(stats["unmet"]["acme/llama:v1"]["too_expensive"], 1);
  EXPECT_EQ(stats["unmet"]["acme/llama:v1"]["too_slow"], 1);
  EXPECT_EQ(stats["unmet"]["acme/llama:v1"]["all_busy"], 1);
}

TEST_F(RouterTest, ProviderFailingLivenessIsSkippedAndBanned) {
  AddProvider(p1_, 1, 100);  // cheapest, but down
  AddProvider(p2_, 2, 150);  // signs with the wrong key
  AddProvider(p3_, 3, 300);
  prober_.by_url["http://p1:80"].mode = FakeProber::Mode::kFail;
  prober_.by_url["http://p2:80"].mode = FakeProber::Mode::kWrongSigner;
  Router& r = MakeRouter();
  auto res = r.HandleRfc(Body(Rfc(rich_, 1), rich_));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(wire::TicketGrant::FromJson(J(res))->ticket.ticket.provider, p3_.GetAddress());
  EXPECT_TRUE(r.book().IsBanned(p1_.GetAddress()));
  EXPECT_TRUE(r.book().IsBanned(p2_.GetAddress()));
  EXPECT_EQ(r.book().BanRemainingMs(p1_.GetAddress()), 15000u);
  // While banned they are not even asked.
  ASSERT_EQ(r.HandleRfc(Body(Rfc(rich_, 2), rich_)).status, 200);
  EXPECT_EQ(prober_.by_url["http://p1:80"].pings, 1);
  // After the ban p1 is tried again, fails again: 30 s.
  clock_.AdvanceSeconds(16);
  ASSERT_EQ(r.HandleRfc(Body(Rfc(rich_, 3), rich_)).status, 200);
  EXPECT_EQ(prober_.by_url["http://p1:80"].pings, 2);
  EXPECT_EQ(r.book().BanRemainingMs(p1_.GetAddress()), 30000u);
}

TEST_F(RouterTest, AtMostThreeLivenessChecks) {
  AddProvider(p1_, 1, 100);
  AddProvider(p2_, 2, 110);
  AddProvider(p3_, 3, 120);
  AddProvider(p4_, 4, 130);
  for (auto& [url, e] : prober_.by_url) e.mode = url == "http://p4:80" ? FakeProber::Mode::kOk : FakeProber::Mode::kFail;
  Router& r = MakeRouter();
  auto res = r.HandleRfc(Body(Rfc(rich_, 1), rich_));
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(Code(res), "liveness_failed");
  EXPECT_EQ(prober_.by_url["http://p4:80"].pings, 0);
  // Now the three are banned, the fourth is first.
  EXPECT_EQ(r.HandleRfc(Body(Rfc(rich_, 2), rich_)).status, 200);
}

TEST_F(RouterTest, MaxSecondsIsWhatTheUserCanCover) {
  AddProvider(p1_, 1, 1000000);  // 10^6 base units per second
  Router& r = MakeRouter();
  // poor_ has 1000 base units in the vault, and no allowance yet on day one? Check the ledger.
  auto acct = inner_->GetAccount(poor_.GetAddress());
  U256 cover = *acct->vault.CheckedAdd(acct->allowance_left);
  auto res = r.HandleRfc(Body(Rfc(poor_, 1, 1000000, 3600), poor_));
  if (cover < U256(1000000)) {
    EXPECT_EQ(res.status, 402);
    EXPECT_EQ(Code(res), "insufficient_funds");
  } else {
    ASSERT_EQ(res.status, 200) << res.body;
    uint64_t expect = std::min<uint64_t>(3600, cover.Div(U256(1000000))->Low64());
    EXPECT_EQ(wire::TicketGrant::FromJson(J(res))->ticket.ticket.max_seconds, expect);
  }
  // The rich user's second ticket is limited by the first one's exposure.
  acct = inner_->GetAccount(rich_.GetAddress());
  U256 rich_cover = *acct->vault.CheckedAdd(acct->allowance_left);
  uint64_t per_ticket = 3000;
  U256 price = *rich_cover.Div(U256(per_ticket * 3 / 2));  // covers 1.5 tickets of 3000 s
  ASSERT_TRUE(testkit::SetOffer(*inner_, p1_, manifest_, price, 0, 50, 4).ok());
  clock_.AdvanceSeconds(10);  // caches expire
  auto a = r.HandleRfc(Body(Rfc(rich_, 2, UINT64_MAX, per_ticket), rich_));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(wire::TicketGrant::FromJson(J(a))->ticket.ticket.max_seconds, per_ticket);
  auto b = r.HandleRfc(Body(Rfc(rich_, 3, UINT64_MAX, per_ticket), rich_));
  ASSERT_EQ(b.status, 200) << b.body;
  uint32_t second = wire::TicketGrant::FromJson(J(b))->ticket.ticket.max_seconds;
  EXPECT_GE(second, per_ticket / 2 - 1);
  EXPECT_LE(second, per_ticket / 2 + 1);
}

TEST_F(RouterTest, LedgerDownAnswers503AndRecoversByItself) {
  AddProvider(p1_, 1, 100);
  Router& r = MakeRouter();
  ledger_->down = true;
  auto res = r.HandleRfc(Body(Rfc(rich_, 1), rich_));
  EXPECT_EQ(res.status, 503);
  EXPECT_NE(res.body.find("ledger"), std::string::npos);
  ledger_->down = false;
  EXPECT_EQ(r.HandleRfc(Body(Rfc(rich_, 2), rich_)).status, 200);
}

// A receipt for a ticket: the voucher signed by the user.
std::string ReceiptBody(const wire::TicketGrant& g, const crypto::PrivateKey& user, const wire::Domain& d,
                        uint32_t seconds, uint32_t tokens = 100) {
  wire::Receipt rb;
  rb.ticket = g.ticket;
  wire::Voucher v;
  v.session_id = g.ticket.ticket.session_id;
  v.seconds = seconds;
  v.tokens_out = tokens;
  v.ttft_ms = 50;
  v.is_final = true;
  rb.voucher = wire::SignVoucher(user, d, v);
  // Countersigned by the ticket's provider, as a provider posts it (the test providers are
  // Key(31) to Key(34)).
  for (int k = 31; k <= 34; ++k) {
    crypto::PrivateKey p = Key(k);
    if (p.GetAddress() == g.ticket.ticket.provider) rb.provider_sig = wire::CountersignReceipt(p, rb, d);
  }
  return rb.ToJson().dump();
}

// A receipt is taken only from the ticket's provider. Before, anyone could post one and the first
// per session was kept: a user posted its own 1-second voucher as the session began, it settled,
// and the provider's receipt for the whole session was answered "duplicate" (a hostile re-test).
TEST_F(RouterTest, OnlyTheTicketsProviderPostsItsReceipt) {
  AddProvider(p1_, 1, 1000);
  Router& r = MakeRouter();
  auto g = wire::TicketGrant::FromJson(J(r.HandleRfc(Body(Rfc(rich_, 1), rich_))));
  ASSERT_TRUE(g.ok());
  json early = json::parse(ReceiptBody(*g, rich_, domain_, 1));
  ASSERT_TRUE(early.contains("providerSignature"));
  early.erase("providerSignature");
  auto bare = r.HandleReceipt(early.dump());
  EXPECT_EQ(bare.status, 401) << bare.body;
  EXPECT_NE(bare.body.find("providerSignature"), std::string::npos) << bare.body;
  // Countersigned by the user itself (or anyone but the provider): refused too.
  auto by_user = wire::Receipt::FromJson(early);
  ASSERT_TRUE(by_user.ok());
  by_user->provider_sig = wire::CountersignReceipt(rich_, *by_user, domain_);
  EXPECT_EQ(r.HandleReceipt(by_user->ToJson().dump()).status, 401);
  json junk = early;
  junk["providerSignature"] = 5;
  EXPECT_EQ(r.HandleReceipt(junk.dump()).status, 400);
  // The provider's receipt for the whole session is the one taken and settled.
  auto ack = r.HandleReceipt(ReceiptBody(*g, rich_, domain_, 30));
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(J(ack)["duplicate"], false);
  EXPECT_EQ(J(ack)["cost"], "30000");
  auto settled = r.SettleOnce();
  ASSERT_TRUE(settled.ok()) << settled.error().message;
  EXPECT_EQ(*settled, 1u);
}

TEST_F(RouterTest, ReceiptsAreSettledOnceAndBecomeRecords) {
  AddProvider(p1_, 1, 1000);
  Router& r = MakeRouter();
  auto g = wire::TicketGrant::FromJson(J(r.HandleRfc(Body(Rfc(rich_, 1), rich_))));
  ASSERT_TRUE(g.ok());
  U256 before = inner_->GetAccount(p1_.GetAddress())->claimable;
  auto ack = r.HandleReceipt(ReceiptBody(*g, rich_, domain_, 30));
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(J(ack)["cost"], "30000");
  EXPECT_EQ(r.ExposureOf(rich_.GetAddress()), U256(30000));
  // The same receipt again is acknowledged as a duplicate.
  EXPECT_EQ(J(r.HandleReceipt(ReceiptBody(*g, rich_, domain_, 30)))["duplicate"], true);
  // Signed by someone else than the user: refused.
  EXPECT_EQ(r.HandleReceipt(ReceiptBody(*g, poor_, domain_, 30)).status, 401);
  auto settled = r.SettleOnce();
  ASSERT_TRUE(settled.ok()) << settled.error().message;
  EXPECT_EQ(*settled, 1u);
  EXPECT_EQ(r.ExposureOf(rich_.GetAddress()), U256());
  U256 after = inner_->GetAccount(p1_.GetAddress())->claimable;
  EXPECT_EQ(*after.CheckedSub(before), U256(30000 - 30000 * 500 / 10000));  // minus the builder's 5%
  json rec = J(r.RecordsView(0, 10));
  ASSERT_EQ(rec["records"].size(), 1u);
  EXPECT_EQ(rec["records"][0]["model"], "acme/llama:v1");
  EXPECT_EQ(rec["records"][0]["seconds"], 30);
  EXPECT_EQ(rec["records"][0]["tokensOut"], 100);
  EXPECT_EQ(rec["records"][0]["provider"], p1_.GetAddress().ToChecksumHex());
  EXPECT_EQ(rec.dump().find(rich_.GetAddress().ToChecksumHex().substr(2)), std::string::npos);
  EXPECT_EQ(rec.dump().find(rich_.GetAddress().ToLowerHex().substr(2)), std::string::npos);
  EXPECT_EQ(J(r.Stats())["receipts"]["settled"], 1);
}

// L2: when the provider had settled the session directly (with another voucher), the router
// marked its own receipt settled at its own cost and published a record with its seconds. Now it
// marks it settled by another party and publishes no record the ledger did not bill.
TEST_F(RouterTest, L2_ASessionSettledByAnotherPartyMakesNoRecordFromTheRoutersCopy) {
  AddProvider(p1_, 1, 1000);
  Router& r = MakeRouter();
  auto g = wire::TicketGrant::FromJson(J(r.HandleRfc(Body(Rfc(rich_, 1), rich_))));
  ASSERT_TRUE(g.ok());
  // The provider settles directly with an earlier voucher of 10 s.
  wire::Voucher early;
  early.session_id = g->ticket.ticket.session_id;
  early.seconds = 10;
  auto ev = wire::SignVoucher(rich_, domain_, early);
  ledger::Tx tx;
  tx.type = ledger::TxType::kSettleBatch;
  tx.receipts.push_back({g->ticket.ticket, g->ticket.router_sig, ev.voucher, ev.user_sig});
  ASSERT_TRUE(ledger::SignAndSubmit(*inner_, tx, p1_).ok());
  // The router gets the final voucher of 30 s afterwards.
  ASSERT_EQ(r.HandleReceipt(ReceiptBody(*g, rich_, domain_, 30)).status, 200);
  auto settled = r.SettleOnce();
  ASSERT_TRUE(settled.ok()) << settled.error().message;
  EXPECT_EQ(J(r.ReceiptsView("settled", 10))["receipts"][0]["reason"], "settled by another party");
  EXPECT_TRUE(J(r.RecordsView(0, 10))["records"].empty()) << r.RecordsView(0, 10).body;
  EXPECT_EQ(r.ExposureOf(rich_.GetAddress()), U256());
}

TEST_F(RouterTest, AcknowledgedReceiptsSurviveARestartAndSettleOnce) {
  AddProvider(p1_, 1, 1000);
  {
    Router& r = MakeRouter();
    for (uint64_t n = 1; n <= 3; ++n) {
      auto g = wire::TicketGrant::FromJson(J(r.HandleRfc(Body(Rfc(rich_, n), rich_))));
      ASSERT_TRUE(g.ok());
      ASSERT_EQ(r.HandleReceipt(ReceiptBody(*g, rich_, domain_, 10)).status, 200);
    }
    router_obj_.reset();  // "crash" before settling
  }
  Router& r = MakeRouter();
  EXPECT_EQ(r.ExposureOf(rich_.GetAddress()), U256(30000));
  auto rows = J(r.ReceiptsView("pending", 10))["receipts"];
  ASSERT_EQ(rows.size(), 3u);
  auto s = r.SettleOnce();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*s, 3u);
  EXPECT_EQ(J(r.Stats())["receipts"]["settled"], 3);
  // Settled receipts are scrubbed: only their session id is left.
  auto scrubbed = J(r.ReceiptsView("settled", 10))["receipts"];
  ASSERT_EQ(scrubbed.size(), 3u);
  EXPECT_EQ(scrubbed[0].dump().find(rich_.GetAddress().ToLowerHex().substr(2)), std::string::npos) << scrubbed.dump();
  EXPECT_EQ(scrubbed[0]["ticket"], nullptr);
  // Another copy of this router (same key, other database) that got the same receipts settles
  // nothing twice: the ledger says "already settled" and that counts as settled.
  auto txs_before = inner_->GetStats();
  auto router_copy = std::move(router_obj_);
  Router& copy = MakeRouter(router_, "copy.db");
  for (const auto& row : rows) {
    json body = {{"ticket", row["ticket"]}, {"ticketSignature", row["ticketSignature"]},
                 {"voucher", row["voucher"]}, {"voucherSignature", row["voucherSignature"]}};
    auto rc = wire::Receipt::FromJson(body);  // stored without the provider's countersignature
    ASSERT_TRUE(rc.ok());
    for (const crypto::PrivateKey* p : {&p1_, &p2_, &p3_, &p4_}) {
      if (p->GetAddress() == rc->ticket.ticket.provider) rc->provider_sig = wire::CountersignReceipt(*p, *rc, domain_);
    }
    ASSERT_EQ(copy.HandleReceipt(rc->ToJson().dump()).status, 200);
  }
  U256 claim_before = inner_->GetAccount(p1_.GetAddress())->claimable;
  auto again = copy.SettleOnce();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, 3u);
  EXPECT_EQ(J(copy.Stats())["receipts"]["settled"], 3);
  EXPECT_EQ(inner_->GetAccount(p1_.GetAddress())->claimable, claim_before);
}

TEST_F(RouterTest, RefusedReceiptsAreKeptWithTheirReason) {
  AddProvider(p1_, 1, 1000);
  Router& r = MakeRouter();
  // A ticket this router signed for a manifest nobody registered: the ledger refuses it.
  wire::Ticket t;
  t.session_id[0] = 9;
  t.user = rich_.GetAddress();
  t.provider = p1_.GetAddress();
  t.router = router_.GetAddress();
  t.manifest[0] = 0xee;
  t.price_per_second = U256(5);
  t.max_seconds = 10;
  t.issued_at = clock_.NowSeconds();
  t.expires_at = t.issued_at + 600;
  wire::TicketGrant g;
  g.ticket = wire::SignedTicket{t, t.Sign(router_, domain_)};
  ASSERT_EQ(r.HandleReceipt(ReceiptBody(g, rich_, domain_, 5)).status, 200);
  // Another router's ticket is not ours to settle.
  wire::TicketGrant other = g;
  other.ticket.ticket.router = router2_.GetAddress();
  other.ticket.router_sig = other.ticket.ticket.Sign(router2_, domain_);
  EXPECT_EQ(r.HandleReceipt(ReceiptBody(other, rich_, domain_, 5)).status, 403);
  auto s = r.SettleOnce();
  ASSERT_TRUE(s.ok()) << s.error().message;
  json refused = J(r.ReceiptsView("refused", 10));
  ASSERT_EQ(refused["receipts"].size(), 1u);
  EXPECT_NE(refused["receipts"][0]["reason"].get<std::string>().find("not registered"), std::string::npos)
      << refused.dump();
  EXPECT_EQ(J(r.Stats())["receipts"]["pending"], 0);
}

TEST_F(RouterTest, RenewalKeepsTheSessionAndNeedsTheUsersSignature) {
  AddProvider(p1_, 1, 1000);
  Router& r = MakeRouter();
  auto g = wire::TicketGrant::FromJson(J(r.HandleRfc(Body(Rfc(rich_, 1), rich_))));
  ASSERT_TRUE(g.ok());
  clock_.AdvanceSeconds(500);
  auto forged = r.HandleRenew(wire::RenewRequest::Make(g->ticket, poor_, domain_).ToJson().dump());
  EXPECT_EQ(forged.status, 401);
  auto res = r.HandleRenew(wire::RenewRequest::Make(g->ticket, rich_, domain_).ToJson().dump());
  ASSERT_EQ(res.status, 200) << res.body;
  auto renewed = wire::TicketGrant::FromJson(J(res));
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->ticket.ticket.session_id, g->ticket.ticket.session_id);
  EXPECT_EQ(renewed->ticket.ticket.expires_at, clock_.NowSeconds() + 600);
  EXPECT_EQ(renewed->ticket.ticket.max_seconds, g->ticket.ticket.max_seconds);
  EXPECT_EQ(renewed->endpoint, "127.0.0.1:9001");
  EXPECT_EQ(r.ExposureOf(rich_.GetAddress()), U256(60000));  // counted once
}

TEST_F(RouterTest, ClientFailsOverToTheNextRouterOverHttp) {
  AddProvider(p1_, 1, 1000);
  Router& r = MakeRouter();
  RouterServer server(r, QueueOptions{});
  auto port = server.Listen("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  server.Start();
  rpc::RouterClient client({"http://127.0.0.1:1", "http://127.0.0.1:" + std::to_string(*port)});
  auto g = client.RequestTicket(wire::RfcRequest::Make(Rfc(rich_, 1), rich_, domain_));
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->ticket.ticket.provider, p1_.GetAddress());
  // A final error (replay) is not retried elsewhere and keeps the router's code and message.
  auto again = client.RequestTicket(wire::RfcRequest::Make(Rfc(rich_, 1), rich_, domain_));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already used"), std::string::npos) << again.error().message;
  // Oversized bodies are refused before parsing.
  auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(*port));
  auto big = c->Post("/rfc", std::string(300 << 10, 'x'));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->status, 413);
  wire::Voucher v;
  v.session_id = g->ticket.ticket.session_id;
  v.seconds = 5;
  wire::Receipt posted{g->ticket, wire::SignVoucher(rich_, domain_, v), std::nullopt};
  EXPECT_FALSE(client.PostReceipt(posted).ok()) << "a receipt without the provider's countersignature";
  for (const crypto::PrivateKey* p : {&p1_, &p2_, &p3_, &p4_}) {
    if (p->GetAddress() == g->ticket.ticket.provider) posted.provider_sig = wire::CountersignReceipt(*p, posted, domain_);
  }
  EXPECT_TRUE(client.PostReceipt(posted).ok());
  server.Stop();
}


TEST_F(RouterTest, OverloadShedsTheLowestClassWith429AndRetryAfter) {
  AddProvider(p1_, 1, 100);
  BlockingProber blocking(prober_);
  prober_override_ = &blocking;
  QueueOptions q;
  q.max_active = 1;
  q.max_waiting = 1;
  q.max_wait_ms = 600000;
  Router& r = MakeRouter(Key(20), "router.db", q);
  net::HttpResponse first, low, high;
  std::thread a([&] { first = r.HandleRfc(Body(Rfc(rich_, 1), rich_)); });
  blocking.WaitEntered(1);  // the only matching slot is taken
  std::thread b([&] { low = r.HandleRfc(Body(Rfc(poor_, 1, 1000, 1), poor_)); });
  while (J(r.Stats())["queue"]["waiting"].get<uint64_t>() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // The queue is full: a high-balance newcomer sheds the class-0 waiter, which gets 429.
  std::thread c([&] { high = r.HandleRfc(Body(Rfc(rich_, 2), rich_)); });
  b.join();
  EXPECT_EQ(low.status, 429) << low.body;
  EXPECT_EQ(Code(low), "overloaded");
  auto retry = low.headers.find("Retry-After");
  ASSERT_NE(retry, low.headers.end());
  EXPECT_GE(std::stoi(retry->second), 1);
  EXPECT_LE(std::stoi(retry->second), 30);
  // A low-class newcomer facing a full queue of a higher class is shed at once.
  auto late = r.HandleRfc(Body(Rfc(poor_, 2, 1000, 1), poor_));
  EXPECT_EQ(late.status, 429) << late.body;
  EXPECT_NE(late.headers.find("Retry-After"), late.headers.end());
  blocking.Release();
  a.join();
  c.join();
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(high.status, 200) << high.body;  // the holder was neither shed nor refused
  EXPECT_EQ(J(r.Stats())["queue"]["shed"].get<uint64_t>(), 2u);
}

TEST_F(RouterTest, AnnouncesArePersistedRefreshedExpiredAndBounded) {
  AddProvider(p1_, 1, 100);
  MakeRouter();
  const std::string cid1 = TestCid(1), cid2 = TestCid(2);
  auto announce = [&](const crypto::PrivateKey& k, const std::string& http, const std::string& roots) {
    wire::SignedAnnounce a;
    a.announce.provider = k.GetAddress();
    a.announce.http = http;
    a.announce.roots = roots;
    a.announce.at = clock_.NowSeconds();
    a.signature = a.announce.Sign(k, domain_);
    return router_obj_->HandleAnnounce(a.ToJson().dump());
  };
  auto holders = [&](const std::string& cid) { return J(router_obj_->Holders(cid))["holders"]; };
  // A registered provider, and an unregistered builder who must give a URL.
  auto ok = announce(p1_, "http://127.0.0.1:7071", cid1 + "," + cid2);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(J(ok)["expiresAt"].get<uint64_t>(), clock_.NowSeconds() + 3600);
  EXPECT_EQ(announce(builder_, "", cid1).status, 403);
  ASSERT_EQ(announce(builder_, "http://127.0.0.1:8080", cid1).status, 200);
  auto h = holders(cid1);
  ASSERT_EQ(h.size(), 2u) << h.dump();
  EXPECT_EQ(h[0]["provider"], p1_.GetAddress().ToChecksumHex());  // registered providers first
  EXPECT_EQ(h[0]["http"], "http://127.0.0.1:7071");
  EXPECT_EQ(h[0]["endpoint"], "127.0.0.1:9001;http://p1:80");
  EXPECT_EQ(h[1]["http"], "http://127.0.0.1:8080");
  EXPECT_FALSE(h[1].contains("endpoint"));
  // The announced URL is the provider's liveness URL from now on.
  prober_.by_url["http://127.0.0.1:7071"] = FakeProber::Entry{&p1_};
  ASSERT_EQ(router_obj_->HandleRfc(Body(Rfc(rich_, 1), rich_)).status, 200);
  EXPECT_EQ(prober_.by_url["http://127.0.0.1:7071"].pings, 1);
  // Bad input.
  EXPECT_EQ(announce(p1_, "ftp://x", cid1).status, 400);
  EXPECT_EQ(announce(p1_, "", "not-a-cid").status, 400);
  EXPECT_EQ(announce(p1_, "", cid1 + ",").status, 400);
  wire::SignedAnnounce forged;
  forged.announce.provider = p1_.GetAddress();
  forged.announce.at = clock_.NowSeconds();
  forged.signature = forged.announce.Sign(p2_, domain_);
  EXPECT_EQ(router_obj_->HandleAnnounce(forged.ToJson().dump()).status, 401);
  EXPECT_EQ(router_obj_->HandleAnnounce("{\"announce\":1}").status, 400);
  // Survives a restart.
  router_obj_.reset();
  MakeRouter();
  EXPECT_EQ(holders(cid1).size(), 2u);
  EXPECT_EQ(holders(cid2).size(), 1u);
  // Expiry and refresh: after 40 minutes the builder re-announces cid1, the provider does not.
  clock_.AdvanceSeconds(2400);
  ASSERT_EQ(announce(builder_, "", cid1).status, 200);  // known announcer: the URL is kept
  clock_.AdvanceSeconds(1300);
  h = holders(cid1);
  ASSERT_EQ(h.size(), 1u) << h.dump();
  EXPECT_EQ(h[0]["http"], "http://127.0.0.1:8080");
  EXPECT_TRUE(holders(cid2).empty());
  router_obj_.reset();
  MakeRouter();
  EXPECT_EQ(holders(cid1).size(), 1u);
  EXPECT_TRUE(holders(cid2).empty());
  // Bounded per announcer (3 in this test): the roots that expire first make room.
  ASSERT_EQ(announce(builder_, "", TestCid(10) + "," + TestCid(11)).status, 200);
  clock_.AdvanceSeconds(1);
  ASSERT_EQ(announce(builder_, "", TestCid(12) + "," + TestCid(13)).status, 200);
  EXPECT_TRUE(holders(cid1).empty());  // the oldest
  EXPECT_EQ(holders(TestCid(13)).size(), 1u);
  EXPECT_EQ(holders(TestCid(10)).size() + holders(TestCid(11)).size(), 1u);
  router_obj_.reset();
  MakeRouter();
  EXPECT_TRUE(holders(cid1).empty());
  EXPECT_EQ(holders(TestCid(12)).size(), 1u);
  EXPECT_EQ(holders(TestCid(10)).size() + holders(TestCid(11)).size(), 1u);
}

TEST_F(RouterTest, AnnouncedRootsAreBoundedInAll) {
  // Announcing needs no stake: fresh keys of 10,000 roots each used to add ~3 MB per key (up to
  // 10,000 keys). All announcers' roots together are capped; refreshing roots already held is
  // always accepted.
  AddProvider(p1_, 1, 100);
  RouterOptions o;
  o.db_path = (dir_ / "router.db").string();
  o.max_roots_per_announcer = 3;
  o.max_announced_roots = 4;
  auto made = Router::Create(o, *ledger_, Key(20), &clock_, &rng_, &prober_);
  ASSERT_TRUE(made.ok()) << made.error().message;
  Router& r = **made;
  auto announce = [&](const crypto::PrivateKey& k, const std::string& roots) {
    wire::SignedAnnounce a;
    a.announce.provider = k.GetAddress();
    a.announce.http = "http://127.0.0.1:7071";
    a.announce.roots = roots;
    a.announce.at = clock_.NowSeconds();
    a.signature = a.announce.Sign(k, domain_);
    return r.HandleAnnounce(a.ToJson().dump());
  };
  ASSERT_EQ(announce(p1_, TestCid(1) + "," + TestCid(2) + "," + TestCid(3)).status, 200);
  auto full = announce(Key(77), TestCid(4) + "," + TestCid(5));
  EXPECT_EQ(full.status, 429) << full.body;
  EXPECT_NE(full.body.find("too many announced roots"), std::string::npos) << full.body;
  EXPECT_NE(full.headers.find("Retry-After"), full.headers.end());
  EXPECT_EQ(announce(Key(77), TestCid(4)).status, 200);  // one more fits
  EXPECT_EQ(announce(Key(78), TestCid(6)).status, 429);
  EXPECT_EQ(announce(p1_, TestCid(1) + "," + TestCid(2)).status, 200);  // a refresh adds nothing
  clock_.AdvanceSeconds(3601);  // expired roots make room once pruned
  r.book().PruneAnnounces();
  EXPECT_EQ(announce(Key(78), TestCid(6)).status, 200);
}

// The user's address in every form it could be written: lowercase and checksummed hex, raw bytes.
std::vector<std::string> AddressForms(const crypto::Address& a) {
  return {a.ToLowerHex().substr(2), a.ToChecksumHex().substr(2),
          std::string(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size())};
}

// Which of the store's files (router.db, -wal, -shm) hold the address, "" when none does.
std::string FilesHolding(const std::filesystem::path& dir, const crypto::Address& a) {
  std::string found;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("router.db", 0) != 0 || name.find("analytics") != std::string::npos) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    for (const auto& f : AddressForms(a)) {
      if (ss.str().find(f) != std::string::npos) found += name + " ";
    }
  }
  return found;
}

TEST_F(RouterTest, SettledReceiptsLeaveNoUserAddressInTheStore) {
  AddProvider(p1_, 1, 1000);
  Router& r = MakeRouter();
  std::string body = Body(Rfc(rich_, 5), rich_);
  auto g = wire::TicketGrant::FromJson(J(r.HandleRfc(body)));
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(r.HandleReceipt(ReceiptBody(*g, rich_, domain_, 10)).status, 200);
  // While unsettled the store must name the user (exposure and settlement after a restart).
  EXPECT_NE(FilesHolding(dir_, rich_.GetAddress()), "");
  auto s = r.SettleOnce();
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(*s, 1u);
  EXPECT_EQ(FilesHolding(dir_, rich_.GetAddress()), "") << "while running";
  EXPECT_EQ(J(r.RecordsView(0, 10))["records"].size(), 1u);
  // The nonce is kept (hashed): a replay after a restart is still refused.
  router_obj_.reset();
  EXPECT_EQ(FilesHolding(dir_, rich_.GetAddress()), "") << "after a restart";
  Router& again = MakeRouter();
  EXPECT_EQ(Code(again.HandleRfc(body)), "replayed");
  EXPECT_EQ(again.HandleRfc(Body(Rfc(rich_, 6), rich_)).status, 200);
  EXPECT_EQ(J(again.Stats())["receipts"]["settled"], 1);
}

TEST_F(RouterTest, UnusedTicketsAreDeletedOnceExpired) {
  auto store = RouterStore::Open((dir_ / "router.db").string());
  ASSERT_TRUE(store.ok()) << store.error().message;
  TicketRow used, unused;
  used.ticket.session_id[0] = 1;
  unused.ticket.session_id[0] = 2;
  for (TicketRow* t : {&used, &unused}) {
    t->ticket.user = rich_.GetAddress();
    t->ticket.expires_at = 1000;
    t->model = "acme/llama:v1";
    ASSERT_TRUE((*store)->PutNonceAndTicket(rich_.GetAddress(), t->ticket.session_id[0], 1000, t).ok());
  }
  wire::Receipt rc;
  rc.ticket.ticket = used.ticket;
  ASSERT_TRUE((*store)->PutReceipt(rc, U256(5), 900).ok());
  ASSERT_TRUE((*store)->PruneTickets(2000).ok());
  EXPECT_FALSE((*store)->GetTicket(unused.ticket.session_id)->has_value());
  EXPECT_TRUE((*store)->GetTicket(used.ticket.session_id)->has_value());  // its receipt is pending
  SessionRecord rec;
  rec.session_id = used.ticket.session_id;
  rec.model = "acme/llama:v1";
  ASSERT_TRUE((*store)->MarkSettled({rec}, 2000).ok());
  EXPECT_FALSE((*store)->GetTicket(used.ticket.session_id)->has_value());
  auto row = (*store)->GetReceipt(used.ticket.session_id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_TRUE((*row)->scrubbed);
  EXPECT_EQ((*row)->status, ReceiptStatus::kSettled);
  // The nonces are kept by hash only, and the store files no longer hold the address.
  EXPECT_TRUE((*store)->CheckpointIfScrubbed(1, 1000));
  auto nonces = (*store)->LoadNonces(0);
  ASSERT_TRUE(nonces.ok());
  EXPECT_EQ(nonces->size(), 2u);
  EXPECT_EQ(FilesHolding(dir_, rich_.GetAddress()), "");
  EXPECT_FALSE((*store)->CheckpointIfScrubbed(2, 1000));  // nothing new scrubbed
}

// A database from before nonces were hashed: its (user, nonce) rows become keys, the table goes.
TEST_F(RouterTest, OldNonceTableIsHashedOnOpen) {
  AddProvider(p1_, 1, 1000);
  auto rfc = Rfc(rich_, 7);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "router.db").string().c_str(), &db), SQLITE_OK);
    std::string sql =
        "PRAGMA journal_mode=WAL; CREATE TABLE nonces(user TEXT NOT NULL, nonce INTEGER NOT NULL, expires_at INTEGER "
        "NOT NULL, PRIMARY KEY(user, nonce)) WITHOUT ROWID; INSERT INTO nonces VALUES('" +
        rich_.GetAddress().ToLowerHex() + "', 7, " + std::to_string(rfc.expires_at) + ");";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  ASSERT_NE(FilesHolding(dir_, rich_.GetAddress()), "");
  Router& r = MakeRouter();
  EXPECT_EQ(Code(r.HandleRfc(Body(rfc, rich_))), "replayed");
  router_obj_.reset();
  EXPECT_EQ(FilesHolding(dir_, rich_.GetAddress()), "");
}

}  // namespace
}  // namespace lt::router
