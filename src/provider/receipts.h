// Receipts: what a provider gets paid with (DESIGN §3, §5.7, §6). A receipt is the router-signed
// ticket plus the best voucher the user signed for the session (the final one when the client
// closed properly, else the last cumulative one). Its cost is
//   pricePerSecond * max(min(voucher.seconds, ticket.maxSeconds), ticket.minSeconds)
// so a provider can never claim more than the user signed (nor more than the ticket allows).
//
// ReceiptSink is where finished sessions go: RouterReceiptSink POSTs them to the routers
// (/receipts) and keeps those no router took in a spool file (JSON lines) for a later retry or
// direct settlement with the ledger; MemoryReceiptSink is for tests.
// Thread-safety: sinks are thread-safe; Submit must not block the caller for long.
#ifndef LT_PROVIDER_RECEIPTS_H_
#define LT_PROVIDER_RECEIPTS_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/uint256.h"
#include "wire/handshake.h"

namespace lt::provider {

struct Receipt {
  wire::SignedTicket ticket;
  wire::SignedVoucher voucher;
  std::string close_reason;
};

// Cost in base units (see above); saturates at U256::Max() rather than wrapping.
U256 ReceiptCost(const Receipt& r);
// {"ticket":{..},"ticketSig":"0x..","voucher":{..},"voucherSig":"0x..","cost":"..","closeReason":".."}
nlohmann::json ReceiptToJson(const Receipt& r);

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
// Submit never blocks); receipts no router accepted are appended to `spool_path` (one JSON
// object per line, fsynced). The destructor drains the queue before returning.
class RouterReceiptSink final : public ReceiptSink {
 public:
  RouterReceiptSink(std::vector<std::string> router_urls, std::string spool_path);
  ~RouterReceiptSink() override;
  void Submit(const Receipt& r) override;

 private:
  void Deliver(const nlohmann::json& j);
  void Spool(const nlohmann::json& j);
  std::vector<std::string> routers_;
  std::string spool_path_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<nlohmann::json> queue_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace lt::provider

#endif  // LT_PROVIDER_RECEIPTS_H_
