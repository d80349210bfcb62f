// Test and benchmark support for the router (not part of the router's API): a ledger world with
// a model, providers and offers, and a Pong responder speaking the provider's liveness route.
// Header-only so the integration tests and `lt bench router` can use it without linking the
// router library's internals. Thread-safety: PongServer is thread-safe; the rest is set-up code.
#ifndef LT_TESTKIT_ROUTER_WORLD_H_
#define LT_TESTKIT_ROUTER_WORLD_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ledger/client.h"
#include "ledger/ledger.h"
#include "net/http.h"
#include "util/clock.h"
#include "wire/messages.h"

namespace lt::testkit {

inline crypto::PrivateKey Key(uint8_t seed, uint8_t salt = 0x42) {
  Bytes b(32, 0);
  b[0] = salt;
  b[31] = seed;
  return *crypto::PrivateKey::FromBytes(b);
}

inline Status Send(ledger::Ledger& l, ledger::Tx tx, const crypto::PrivateKey& k) {
  auto r = ledger::SignAndSubmit(l, std::move(tx), k);
  if (!r.ok()) return r.error();
  return OkStatus();
}

// builder registers `name` (namespace/name) and tags `tag` -> manifest.
inline Status PublishModel(ledger::Ledger& l, const crypto::PrivateKey& builder, const std::string& name,
                           const std::string& tag, const Hash32& manifest) {
  ledger::Tx m;
  m.type = ledger::TxType::kRegisterModel;
  m.name = name;
  m.kind = "model";
  m.builder_fee_bps = 500;
  LT_TRY_STATUS(Send(l, m, builder));
  ledger::Tx t;
  t.type = ledger::TxType::kSetTag;
  t.name = name;
  t.tag = tag;
  t.manifest = manifest;
  return Send(l, t, builder);
}

inline Status RegisterProvider(ledger::Ledger& l, const crypto::PrivateKey& p, const std::string& endpoint,
                               const U256& stake) {
  ledger::Tx tx;
  tx.type = ledger::TxType::kRegisterProvider;
  tx.endpoint = endpoint;
  tx.amount = stake;
  return Send(l, tx, p);
}

inline Status SetOffer(ledger::Ledger& l, const crypto::PrivateKey& p, const Hash32& manifest, const U256& price,
                       uint32_t min_seconds, uint32_t tps, uint32_t slots) {
  ledger::Tx tx;
  tx.type = ledger::TxType::kSetOffer;
  tx.manifest = manifest;
  tx.price_per_second = price;
  tx.min_seconds = min_seconds;
  tx.tps = tps;
  tx.slots = slots;
  return Send(l, tx, p);
}

inline Status StakeRouter(ledger::Ledger& l, const crypto::PrivateKey& r, const U256& amount) {
  ledger::Tx tx;
  tx.type = ledger::TxType::kStakeRouter;
  tx.amount = amount;
  return Send(l, tx, r);
}

// GET /ping?challenge=0x.. -> {"pong":{..},"signature":"0x.."}, like `lt provider serve`.
class PongServer {
 public:
  PongServer(crypto::PrivateKey key, wire::Domain domain, uint32_t free_slots = 4)
      : key_(std::move(key)), domain_(domain), free_slots_(free_slots) {
    net::HttpServerOptions o;
    o.threads = 8;
    http_ = std::make_unique<net::HttpServer>(o);
    http_->Get("/ping", [this](const net::HttpRequest& req) {
      ++requests_;
      if (fail_) return net::HttpResponse::ErrorJson(500, "internal", "failing on purpose");
      auto ch = HexDecodeFixed<32>(req.Query("challenge"));
      if (!ch.ok()) return net::HttpResponse::FromError(ch.error());
      return net::HttpResponse::Json(200, Answer(*ch));
    });
    // The batched form (doc/router.md "Liveness"); set_batch(false) answers 404 like an older provider.
    http_->Post("/ping", [this](const net::HttpRequest& req) {
      ++requests_;
      if (!batch_) return net::HttpResponse::ErrorJson(404, "not_found", "no POST /ping here");
      if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
      if (fail_) return net::HttpResponse::ErrorJson(500, "internal", "failing on purpose");
      auto j = nlohmann::json::parse(req.body, nullptr, false);
      if (!j.is_object() || !j.contains("challenges") || !j["challenges"].is_array()) {
        return net::HttpResponse::ErrorJson(400, "invalid_argument", "expected {\"challenges\":[...]}");
      }
      ++batches_;
      nlohmann::json pongs = nlohmann::json::array();
      for (const auto& c : j["challenges"]) {
        auto ch = HexDecodeFixed<32>(c.is_string() ? c.get<std::string>() : "");
        if (!ch.ok()) return net::HttpResponse::FromError(ch.error());
        pongs.push_back(Answer(*ch));
      }
      return net::HttpResponse::Json(200, {{"pongs", std::move(pongs)}});
    });
  }
  ~PongServer() { Stop(); }
  Result<int> Start() {
    LT_TRY(int port, http_->Listen("127.0.0.1", 0));
    port_ = port;
    thread_ = std::thread([this] { http_->Run(); });
    return port;
  }
  void Stop() {
    http_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_fail(bool f) { fail_ = f; }
  void set_free_slots(uint32_t n) { free_slots_ = n; }
  void set_batch(bool b) { batch_ = b; }
  void set_batch_delay_ms(int ms) { delay_ms_ = ms; }
  void sign_with(crypto::PrivateKey k) { wrong_key_ = std::make_unique<crypto::PrivateKey>(std::move(k)); }
  uint64_t pings() const { return pings_; }        // challenges answered
  uint64_t requests() const { return requests_; }  // HTTP requests to /ping (a batch is one)
  uint64_t batches() const { return batches_; }    // POST /ping requests answered
  crypto::Address address() const { return key_.GetAddress(); }

 private:
  nlohmann::json Answer(const Hash32& challenge) {
    ++pings_;
    wire::Pong p;
    p.challenge = challenge;
    p.provider = key_.GetAddress();
    p.free_slots = free_slots_;
    p.at = SystemClock::Default()->NowSeconds();
    const crypto::PrivateKey& signer = wrong_key_ ? *wrong_key_ : key_;
    return {{"pong", p.ToJson()}, {"signature", HexEncode0x(p.Sign(signer, domain_))}};
  }

  crypto::PrivateKey key_;
  wire::Domain domain_;
  std::atomic<uint32_t> free_slots_;
  std::atomic<bool> fail_{false};
  std::atomic<uint64_t> pings_{0}, requests_{0}, batches_{0};
  std::atomic<bool> batch_{true};
  std::atomic<int> delay_ms_{0};
  std::unique_ptr<crypto::PrivateKey> wrong_key_;
  std::unique_ptr<net::HttpServer> http_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace lt::testkit

#endif  // LT_TESTKIT_ROUTER_WORLD_H_
