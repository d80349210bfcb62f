// Receipts: what a provider gets paid with (DESIGN §3, §5.7, §6). A receipt is the router-signed
// ticket plus the best voucher the user signed for the session (the final one when the client
// closed properly, else the last cumulative one). Its cost is
//   pricePerSecond * max(min(voucher.seconds, ticket.maxSeconds), ticket.minSeconds)
// so a provider can never claim more than the user signed (nor more than the ticket allows).
//
// ReceiptSink is where finished sessions go: RouterReceiptSink POSTs them to the routers
// (/receipts) and keeps those no router took in a spool file (JSON lines); the spool is retried
// with the routers and, after `direct_after_seconds` (at once when no router is configured),
// settled straight with the ledger by the provider itself (`settle_direct`, a settle_batch).
// MemoryReceiptSink is for tests.
// Thread-safety: sinks are thread-safe; Submit must not block the caller for long.
#ifndef LT_PROVIDER_RECEIPTS_H_
#define LT_PROVIDER_RECEIPTS_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rpc/router_client.h"
#include "util/result.h"
#include "util/uint256.h"
#include "wire/handshake.h"
#include "wire/receipt.h"

namespace lt::provider {

// The protocol's receipt (wire/receipt.h) and why the session closed, which only people read.
struct Receipt : wire::Receipt {
  std::string close_reason;
};

// Cost in base units (see above); saturates at U256::Max() rather than wrapping.
U256 ReceiptCost(const Receipt& r);
// The receipt's JSON form (wire::Receipt::ToJson) plus "cost" (decimal) and "closeReason".
nlohmann::json ReceiptToJson(const Receipt& r);
// The inverse (extra keys such as "spooledAt" are ignored).
Result<Receipt> ReceiptFromJson(const nlohmann::json& j);

// The ledger's verdict on one receipt settled directly.
struct SettleVerdict {
  bool done = false;  // settled now, or already settled before (never paid twice)
  std::string error;  // why not (empty when done)
};
// Settles receipts with the ledger: one verdict per receipt, or an error (ledger unreachable).
using DirectSettleFn = std::function<Result<std::vector<SettleVerdict>>(const std::vector<Receipt>&)>;

class ReceiptSink {
 public:
  virtual ~ReceiptSink() = default;
  virtual void Submit(const Receipt& r) = 0;
};

class MemoryReceiptSink final : public ReceiptSink {
 public:
  void Submit(const Receipt& r) override;
  std::vector<Receipt> Take();
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<Receipt> receipts_;
};

// Posts each receipt to the first router URL that answers 2xx (from one worker thread, so
// Submit never blocks); receipts no router accepted are appended to the spool (one JSON object
// per line with "spooledAt" and "attempts", fsynced). The worker retries the spool every
// `retry_seconds`: routers first, then (when `settle_direct` is set and the receipt waited
// `direct_after_seconds`, or no router is configured) the ledger. A receipt leaves the spool
// only when a router took it or the ledger settled it (or had already settled it); after
// `max_attempts` refusals by the ledger it is moved to `<spool>.refused` with the reason.
// The spool file is rewritten atomically (write, fsync, rename). The destructor drains the
// queue (routers or spool) before returning.
struct ReceiptSinkOptions {
  std::vector<std::string> routers;
  std::string spool_path;
  // The provider's countersignature of a receipt (wire::CountersignReceipt), sent with it to the
  // routers, which take receipts only so signed. Empty: sent without one (the routers refuse it).
  std::function<crypto::Signature(const wire::Receipt&)> countersign;
  DirectSettleFn settle_direct;  // empty: receipts wait in the spool for the routers
  uint32_t direct_after_seconds = 60;
  uint32_t retry_seconds = 10;
  uint32_t max_attempts = 20;
};

class RouterReceiptSink final : public ReceiptSink {
 public:
  RouterReceiptSink(std::vector<std::string> router_urls, std::string spool_path);
  explicit RouterReceiptSink(ReceiptSinkOptions options);
  ~RouterReceiptSink() override;
  void Submit(const Receipt& r) override;
  // {"to_routers","settled_directly","spooled","refused","last_error"}
  nlohmann::json Describe() const;

 private:
  bool ToRouters(const nlohmann::json& j);
  void Deliver(const nlohmann::json& j);
  void Spool(const nlohmann::json& j);
  void RetrySpool();
  ReceiptSinkOptions o_;
  rpc::RouterClient routers_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<nlohmann::json> queue_;
  std::vector<nlohmann::json> unwritten_;  // the spool could not be written (disk full?)
  bool stop_ = false;
  bool spool_dirty_ = true;  // check the spool at start (receipts left by a previous run)
  uint64_t to_routers_ = 0, settled_directly_ = 0, spooled_ = 0, refused_ = 0;
  std::string last_error_;
  std::thread worker_;
};

}  // namespace lt::provider

#endif  // LT_PROVIDER_RECEIPTS_H_
