// LedgerLink: the provider's one connection to the ledger (doc/provider.md "Ledger"). It signs
// and submits the provider's transactions one at a time (registration and direct settlement
// share the account's nonce, so submissions are serialized), and settles receipts directly:
// a `settle_batch` sent by the provider itself, which the ledger allows for the provider's own
// tickets (doc/ledger.md "settle_batch").
//
// A receipt counts as done when the ledger settled it now or reports it settled before
// (wire::SettleCode kAlreadySettled; a router, or an earlier attempt whose answer was lost,
// settled it): never paid twice, never dropped. A batch the ledger refuses whole is retried receipt by receipt to learn each reason.
// Errors: kUnavailable / kTimeout when the ledger cannot be reached (retry later).
// Thread-safety: every method may be called from any thread.
#ifndef LT_PROVIDER_LEDGER_LINK_H_
#define LT_PROVIDER_LEDGER_LINK_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "ledger/client.h"
#include "provider/receipts.h"

namespace lt::provider {

class LedgerLink {
 public:
  LedgerLink(std::string url, const crypto::PrivateKey* key) : url_(std::move(url)), key_(key) {}

  const std::string& url() const { return url_; }
  // Connects on first use (reads /genesis); kUnavailable while the ledger is down.
  Result<ledger::RemoteLedger*> Ledger();
  // Fills the nonce, signs and submits; one at a time per provider (ledger::SignAndSubmit
  // signs again when another writer of the same key took the nonce).
  Result<ledger::SubmitResult> Submit(ledger::Tx tx);
  // One settle_batch (split into single receipts when refused whole); one outcome per receipt.
  Result<std::vector<SettleVerdict>> Settle(const std::vector<Receipt>& receipts);

 private:
  std::string url_;
  const crypto::PrivateKey* key_;
  std::mutex connect_mu_, submit_mu_;
  std::unique_ptr<ledger::RemoteLedger> ledger_;
};

// True for errors worth retrying later as they are (ledger unreachable, timeout).
bool TransientError(const Error& e);

}  // namespace lt::provider

#endif  // LT_PROVIDER_LEDGER_LINK_H_
