#include "ledger/client.h"

// GCC 12 false positive inside nlohmann::json in std::variant<SubmitResult, Error> (see embedded.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace lt::ledger {

using nlohmann::json;

namespace {

Error FromErrorJson(const json& e, int status) {
  // Map the stable code name back to the ErrorCode.
  // The ledger's answer is input: fields of another type are ignored (json::value would throw).
  std::string code = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
  std::string message = e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>()
                                                                          : "HTTP " + std::to_string(status);
  return MakeError(ErrorCodeFromName(code).value_or(ErrorCode::kInternal), message);
}

}  // namespace

Result<std::unique_ptr<RemoteLedger>> RemoteLedger::Connect(const std::string& base_url,
                                                            net::HttpClientOptions options) {
  std::unique_ptr<RemoteLedger> r(new RemoteLedger(base_url, options));
  LT_TRY(json g, r->GetJson("/genesis"));
  auto genesis = ParseGenesis(g);
  if (!genesis.ok()) return genesis.error().Wrap("ledger at " + base_url);
  r->genesis_ = *genesis;
  r->domain_ = LedgerDomain::Make(genesis->chain_id, genesis->verifying_contract);
  return r;
}

Result<json> RemoteLedger::GetJson(const std::string& path) {
  LT_TRY(auto client, net::HttpClient::Create(base_url_, options_));
  LT_TRY(auto resp, client.Get(path));
  auto j = resp.Json();
  if (resp.status != 200) {
    if (j.ok() && j->is_object() && j->contains("error") && (*j)["error"].is_object()) {
      return FromErrorJson((*j)["error"], resp.status);
    }
    return net::ErrorFromResponse(resp);
  }
  if (!j.ok()) return j.error().Wrap("ledger " + path);
  return *j;
}

Result<json> RemoteLedger::PostJson(const std::string& path, const json& body) {
  LT_TRY(auto client, net::HttpClient::Create(base_url_, options_));
  LT_TRY(auto resp, client.Post(path, body.dump()));
  auto j = resp.Json();
  if (resp.status != 200) {
    if (j.ok() && j->is_object() && j->contains("error") && (*j)["error"].is_object()) {
      return FromErrorJson((*j)["error"], resp.status);
    }
    return net::ErrorFromResponse(resp);
  }
  if (!j.ok()) return j.error().Wrap("ledger " + path);
  return *j;
}

Result<SubmitResult> RemoteLedger::Submit(const SignedTx& tx) {
  LT_TRY(json r, PostJson("/tx", SignedTxToJson(tx)));
  if (!r.value("index", json()).is_number_unsigned())
    return InvalidArgument("ledger /tx: answer lacks index");
  LT_TRY(TxOutcome outcome, TxOutcome::FromJson(r.value("outcome", json::object())));
  return SubmitResult{r["index"].get<uint64_t>(), std::move(outcome)};
}

std::vector<Result<SubmitResult>> RemoteLedger::SubmitMany(const std::vector<SignedTx>& txs) {
  std::vector<Result<SubmitResult>> out;
  json arr = json::array();
  for (const auto& t : txs) arr.push_back(SignedTxToJson(t));
  auto r = PostJson("/txs", {{"txs", arr}});
  if (!r.ok() || !r->value("results", json()).is_array() || (*r)["results"].size() != txs.size()) {
    Error e = r.ok() ? InvalidArgument("ledger /txs: malformed answer") : r.error();
    for (size_t i = 0; i < txs.size(); ++i) out.push_back(e);
    return out;
  }
  for (const auto& x : (*r)["results"]) {
    if (x.contains("error")) {
      out.push_back(FromErrorJson(x["error"], 0));
    } else {
      auto outcome = TxOutcome::FromJson(x.value("outcome", json::object()));
      if (!outcome.ok()) {
        out.push_back(outcome.error().Wrap("ledger /txs"));
      } else {
        out.push_back(SubmitResult{x.value("index", uint64_t{0}), std::move(*outcome)});
      }
    }
  }
  return out;
}

Result<uint64_t> RemoteLedger::CloseDays() {
  LT_TRY(json r, PostJson("/close-day", json::object()));
  return r.value("closed", uint64_t{0});
}

Result<AccountInfo> RemoteLedger::GetAccount(const crypto::Address& a) {
  LT_TRY(json j, GetJson("/account/" + a.ToChecksumHex()));
  return AccountInfoFromJson(j);
}

namespace {

template <typename T>
Result<std::vector<T>> ListOf(const json& j, const char* what) {
  if (!j.is_array()) return InvalidArgument(std::string("ledger ") + what + ": expected a JSON array");
  std::vector<T> out;
  out.reserve(j.size());
  for (const auto& e : j) {
    LT_TRY(T v, T::FromJson(e));
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

Result<std::vector<ModelInfo>> RemoteLedger::GetModels() {
  LT_TRY(json j, GetJson("/models"));
  return ListOf<ModelInfo>(j, "/models");
}
Result<ModelInfo> RemoteLedger::GetModel(const std::string& name) {
  LT_TRY(json j, GetJson("/models/" + name));
  return ModelInfo::FromJson(j);
}
Result<std::vector<ProviderInfo>> RemoteLedger::GetProviders() {
  LT_TRY(json j, GetJson("/providers"));
  return ListOf<ProviderInfo>(j, "/providers");
}

Result<std::vector<RouterInfo>> RemoteLedger::GetRouters() {
  LT_TRY(json j, GetJson("/routers"));
  return ListOf<RouterInfo>(j, "/routers");
}
Result<DayInfo> RemoteLedger::GetDay() {
  LT_TRY(json j, GetJson("/day"));
  return DayInfo::FromJson(j);
}
Result<StatsInfo> RemoteLedger::GetStats() {
  LT_TRY(json j, GetJson("/stats"));
  return StatsInfo::FromJson(j);
}

Result<std::vector<TxLogEntry>> RemoteLedger::GetTxs(uint64_t from, uint64_t limit) {
  LT_TRY(json j, GetJson("/txs?from=" + std::to_string(from) + "&limit=" + std::to_string(limit)));
  std::vector<TxLogEntry> out;
  if (!j.value("txs", json()).is_array()) return InvalidArgument("ledger /txs: answer lacks txs");
  for (const auto& e : j["txs"]) {
    LT_TRY(TxLogEntry entry, TxLogEntryFromJson(e));
    out.push_back(std::move(entry));
  }
  return out;
}

Result<Genesis> RemoteLedger::GetGenesis() { return genesis_; }

Result<StateInfo> RemoteLedger::GetStateInfo() {
  LT_TRY(json j, GetJson("/state"));
  StateInfo s;
  if (!j.value("state_hash", json()).is_string())
    return InvalidArgument("ledger /state: answer lacks state_hash");
  LT_TRY(s.state_hash, HexDecodeFixed<32>(j["state_hash"].get<std::string>()));
  s.invariant_ok = j.value("invariant_ok", false);
  s.invariant_error = j.value("invariant_error", "");
  s.tx_log_size = j.value("tx_log_size", uint64_t{0});
  return s;
}

Result<SubmitResult> SignAndSubmit(Ledger& ledger, Tx tx, const crypto::PrivateKey& key) {
  LT_TRY(AccountInfo acct, ledger.GetAccount(key.GetAddress()));
  for (int attempt = 0;; ++attempt) {
    tx.nonce = acct.nonce;
    auto r = ledger.Submit(SignTx(tx, key, ledger.domain()));
    if (r.ok() || r.error().code != ErrorCode::kFailedPrecondition) return r;
    // Refused for its nonce only if another writer of the key moved it meanwhile.
    LT_TRY(acct, ledger.GetAccount(key.GetAddress()));
    if (acct.nonce == tx.nonce) return r;
    if (attempt == 2) {
      return MakeError(ErrorCode::kUnavailable, "the nonce of " + key.GetAddress().ToChecksumHex() +
                                                    " kept changing under another writer; try again");
    }
  }
}

}  // namespace lt::ledger
