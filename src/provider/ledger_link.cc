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
  auto r = ledger::SignAndSubmit(*l, tx, *key_);
  if (!r.ok() && r.error().message.find("nonce") != std::string::npos) r = ledger::SignAndSubmit(*l, tx, *key_);
  return r;
}

namespace {

ledger::Receipt ToLedger(const Receipt& r) {
  ledger::Receipt lr;
  lr.ticket = r.ticket.ticket;
  lr.ticket_sig = r.ticket.router_sig;
  lr.voucher = r.voucher.voucher;
  lr.voucher_sig = r.voucher.user_sig;
  return lr;
}

SettleOutcome FromReason(std::string reason) {
  SettleOutcome o;
  o.done = reason.find("already settled") != std::string::npos;
  if (!o.done) o.error = reason.empty() ? "the ledger gave no outcome for this receipt" : std::move(reason);
  return o;
}

}  // namespace

Result<std::vector<SettleOutcome>> LedgerLink::Settle(const std::vector<Receipt>& receipts) {
  if (receipts.empty()) return std::vector<SettleOutcome>{};
  ledger::Tx tx;
  tx.type = ledger::TxType::kSettleBatch;
  for (const auto& r : receipts) tx.receipts.push_back(ToLedger(r));
  auto submitted = Submit(std::move(tx));
  std::vector<SettleOutcome> out;
  if (submitted.ok()) {
    const json outcomes = submitted->outcome.value("receipts", json::array());
    for (size_t i = 0; i < receipts.size(); ++i) {
      const json o = i < outcomes.size() ? outcomes[i] : json();
      if (o.is_object() && o.value("ok", false)) {
        out.push_back({true, ""});
      } else {
        out.push_back(FromReason(o.is_object() && o.contains("error") && o["error"].is_string()
                                     ? o["error"].get<std::string>()
                                     : ""));
      }
    }
    return out;
  }
  const Error& e = submitted.error();
  if (TransientError(e) || e.code == ErrorCode::kUnauthenticated || e.message.find("nonce") != std::string::npos) {
    return e;
  }
  if (receipts.size() > 1) {  // refused whole: learn each receipt's reason alone
    for (const auto& r : receipts) {
      LT_TRY(auto one, Settle({r}));
      out.push_back(one[0]);
    }
    return out;
  }
  std::string reason = e.message;
  if (auto p = reason.find("receipt 0: "); p != std::string::npos) reason = reason.substr(p + 11);
  while (!reason.empty() && (reason.back() == ' ' || reason.back() == ';')) reason.pop_back();
  out.push_back(FromReason(reason));
  return out;
}

}  // namespace lt::provider
