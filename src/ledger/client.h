// LedgerClient: a Ledger reached over the HTTP API of `lt ledger serve` (RemoteLedger), plus
// helpers to sign and send a transaction with a key. Router, provider and CLI use these.
//
// Connect() reads GET /genesis once to learn the EIP-712 domain. Every call is one HTTP
// request; an error body {"error":{"code","message"}} becomes the same Error (code and message)
// as the embedded backend returns, so the conformance tests hold for both. A transport failure is
// kUnavailable / kTimeout.
// Thread-safety: a RemoteLedger may be used from several threads (one connection per call).
#ifndef LT_LEDGER_CLIENT_H_
#define LT_LEDGER_CLIENT_H_

#include <memory>
#include <string>

#include "crypto/keys.h"
#include "ledger/ledger.h"
#include "net/http.h"

namespace lt::ledger {

class RemoteLedger : public Ledger {
 public:
  // base_url like "http://127.0.0.1:8545".
  static Result<std::unique_ptr<RemoteLedger>> Connect(const std::string& base_url,
                                                       net::HttpClientOptions options = {});

  const LedgerDomain& domain() const override { return domain_; }
  Result<SubmitResult> Submit(const SignedTx& tx) override;
  std::vector<Result<SubmitResult>> SubmitMany(const std::vector<SignedTx>& txs) override;
  Result<uint64_t> CloseDays() override;
  Result<AccountInfo> GetAccount(const crypto::Address& a) override;
  Result<std::vector<ModelInfo>> GetModels() override;
  Result<ModelInfo> GetModel(const std::string& name) override;
  Result<std::vector<ProviderInfo>> GetProviders() override;
  Result<std::vector<RouterInfo>> GetRouters() override;
  Result<DayInfo> GetDay() override;
  Result<StatsInfo> GetStats() override;
  Result<std::vector<TxLogEntry>> GetTxs(uint64_t from, uint64_t limit) override;
  Result<Genesis> GetGenesis() override;
  Result<StateInfo> GetStateInfo() override;

 private:
  RemoteLedger(std::string base_url, net::HttpClientOptions options)
      : base_url_(std::move(base_url)), options_(options) {}
  Result<nlohmann::json> GetJson(const std::string& path);
  Result<nlohmann::json> PostJson(const std::string& path, const nlohmann::json& body);

  std::string base_url_;
  net::HttpClientOptions options_;
  LedgerDomain domain_;
  Genesis genesis_;
};

using LedgerClient = RemoteLedger;

// Fills the sender's next nonce (GetAccount), signs for the ledger's domain and submits. When
// another writer of the same key took that nonce meanwhile it signs again with the next one
// (three tries, then kUnavailable), so a kFailedPrecondition it returns is never a nonce race.
Result<SubmitResult> SignAndSubmit(Ledger& ledger, Tx tx, const crypto::PrivateKey& key);

}  // namespace lt::ledger

#endif  // LT_LEDGER_CLIENT_H_
