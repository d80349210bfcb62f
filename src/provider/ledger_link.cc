#include "provider/ledger_link.h"

#include "util/log.h"

namespace lt::provider {

using nlohmann::json;

bool TransientError(const Error& e) {
  return e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kTimeout || e.code == ErrorCode::kInternal ||
         e.code == ErrorCode::kIo;
}

Result<ledger::RemoteLedger*> LedgerLink::Ledger() {
  std::lock_guard<std::mutex> l(connect_mu_);
  if (!ledger_) {
    net::HttpClientOptions o;
    o.connect_timeout_ms = 2000;
    o.read_timeout_ms = 15000;
    auto c = ledger::RemoteLedger::Connect(url_, o);
    if (!c.ok()) return c.error().Wrap("ledger " + url_);
    ledger_ = std::move(c).value();
  }
  return ledger_.get();
}

Result<ledger::SubmitResult> LedgerLink::Submit(ledger::Tx tx) {
  LT_TRY(ledger::RemoteLedger * l, Ledger());
  std::lock_guard<std::mutex> lock(submit_mu_);
  return ledger::SignAndSubmit(*l, std::move(tx), *key_);  // retries a nonce race itself
}

Result<std::vector<SettleVerdict>> LedgerLink::Settle(const std::vector<Receipt>& receipts) {
  if (receipts.empty()) return std::vector<SettleVerdict>{};
  ledger::Tx tx;
  tx.type = ledger::TxType::kSettleBatch;
  for (const auto& r : receipts) tx.receipts.push_back(r);
  auto submitted = Submit(std::move(tx));
  std::vector<SettleVerdict> out;
  if (submitted.ok()) {
    const auto& outcomes = submitted->outcome.receipts;
    for (size_t i = 0; i < receipts.size(); ++i) {
      if (i >= outcomes.size()) {
        out.push_back({false, "the ledger gave no outcome for this receipt"});
      } else if (wire::SettleDone(outcomes[i].code)) {
        out.push_back({true, ""});
      } else {
        out.push_back({false, std::string(wire::SettleCodeName(outcomes[i].code)) + ": " + outcomes[i].message});
      }
    }
    return out;
  }
  const Error& e = submitted.error();
  if (TransientError(e) || e.code == ErrorCode::kUnauthenticated) return e;
  if (receipts.size() > 1) {  // refused whole: learn each receipt's reason alone
    for (const auto& r : receipts) {
      LT_TRY(auto one, Settle({r}));
      out.push_back(one[0]);
    }
    return out;
  }
  // One receipt refused whole (doc/ledger.md "settle_batch"): kAlreadyExists when its session
  // was settled before (by a router, or an attempt whose answer was lost); else the message says why.
  if (e.code == ErrorCode::kAlreadyExists) return std::vector<SettleVerdict>{{true, ""}};
  return std::vector<SettleVerdict>{{false, e.message}};
}

}  // namespace lt::provider
