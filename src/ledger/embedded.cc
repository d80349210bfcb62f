#include "ledger/embedded.h"

// GCC 12 reports a false -Wmaybe-uninitialized inside nlohmann::json when a
// std::variant<SubmitResult, Error> is built from an Error (the json alternative is never active).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <condition_variable>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "ledger/state.h"
#include "ledger/store.h"
#include "ledger/state_views.h"
#include "util/log.h"

namespace lt::ledger {

using nlohmann::json;

struct EmbeddedLedger::Impl {
  EmbeddedOptions options;
  Clock* clock = nullptr;
  Genesis genesis;
  LedgerDomain domain;
  std::unique_ptr<Store> store;
  std::optional<LedgerState> state;
  uint64_t log_size = 0;
  std::mutex write_mu;  // one writer at a time

  // Group commit: concurrent submitters queue their verified transactions; one of them (the
  // leader) applies everything queued in one SQLite transaction (one fsync), then the next group.
  struct Request {
    std::vector<Result<VerifiedTx>> verified;
    std::vector<Result<SubmitResult>> results;
    bool done = false;
  };
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::vector<Request*> queue;
  bool leader_active = false;

  std::vector<Result<SubmitResult>> Enqueue(std::vector<Result<VerifiedTx>> verified) {
    Request req;
    req.verified = std::move(verified);
    std::unique_lock<std::mutex> lk(queue_mu);
    queue.push_back(&req);
    while (!req.done) {
      if (leader_active) {
        queue_cv.wait(lk);
        continue;
      }
      leader_active = true;
      while (!queue.empty()) {
        std::vector<Request*> group;
        group.swap(queue);
        lk.unlock();
        std::vector<Result<VerifiedTx>> flat;
        for (Request* r : group) {
          for (auto& v : r->verified) flat.push_back(std::move(v));
        }
        auto results = Apply(std::move(flat));
        size_t k = 0;
        for (Request* r : group) {
          for (size_t i = 0; i < r->verified.size(); ++i) r->results.push_back(std::move(results[k++]));
        }
        lk.lock();
        for (Request* r : group) r->done = true;
        queue_cv.notify_all();
      }
      leader_active = false;
      queue_cv.notify_all();
    }
    return std::move(req.results);
  }
  mutable std::shared_mutex mu;  // guards `state` and `log_size` against readers

  uint64_t Now() const { return clock->NowSeconds(); }

  // Reloads the state from the database after a failed commit (the in-memory state ran ahead).
  void Reload() {
    auto st = store->LoadState(genesis);
    auto n = store->LogSize();
    if (st.ok() && n.ok()) {
      state.emplace(std::move(*st));
      log_size = *n;
    } else {
      LT_ERROR("ledger: cannot reload the state after a failed commit: " << (st.ok() ? n.error().message
                                                                                     : st.error().message));
    }
  }

  // Appends a tick entry when the clock closed days. Called inside an open SQLite transaction.
  Status AdvanceLocked(uint64_t now, uint64_t* closed) {
    uint64_t before = state->globals().day;
    *closed = state->AdvanceTo(now);
    if (*closed == 0) return OkStatus();
    TxLogEntry e;
    e.index = log_size;
    e.time = now;
    e.type = "tick";
    e.tx = nullptr;
    e.outcome.closed_from = before;
    e.outcome.closed_through = state->globals().day - 1;
    LT_TRY_STATUS(store->AppendLog(e, ""));
    ++log_size;
    return OkStatus();
  }

  std::vector<Result<SubmitResult>> Apply(std::vector<Result<VerifiedTx>> verified) {
    std::vector<Result<SubmitResult>> out;
    out.reserve(verified.size());
    std::lock_guard<std::mutex> wl(write_mu);
    std::unique_lock<std::shared_mutex> lock(mu);
    uint64_t now = Now();
    uint64_t start_size = log_size;
    Status st = store->Begin();
    uint64_t closed = 0;
    if (st.ok()) st = AdvanceLocked(now, &closed);
    if (!st.ok()) {
      store->Rollback();
      Reload();
      for (size_t i = 0; i < verified.size(); ++i) out.push_back(st.error());
      return out;
    }
    for (auto& v : verified) {
      if (!v.ok()) {
        out.push_back(v.error());
        continue;
      }
      auto r = state->Apply(*v, now);
      if (!r.ok()) {
        out.push_back(r.error());
        continue;
      }
      TxLogEntry e;
      e.index = log_size;
      e.time = now;
      e.type = std::string(TxTypeName(v->stx.tx.type));
      e.tx = SignedTxToJson(v->stx);
      e.outcome = *r;
      st = store->AppendLog(e, v->stx.tx.sender.ToLowerHex());
      if (!st.ok()) break;
      ++log_size;
      out.push_back(SubmitResult{e.index, std::move(e.outcome)});
    }
    if (st.ok()) st = store->Flush(*state);
    if (st.ok()) st = store->Commit();
    if (!st.ok()) {
      store->Rollback();
      Reload();
      (void)start_size;
      std::vector<Result<SubmitResult>> failed;
      for (size_t i = 0; i < verified.size(); ++i) failed.push_back(st.error().Wrap("not applied"));
      return failed;
    }
    return out;
  }
};

EmbeddedLedger::EmbeddedLedger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmbeddedLedger::~EmbeddedLedger() = default;

Result<std::unique_ptr<EmbeddedLedger>> EmbeddedLedger::Create(const EmbeddedOptions& options,
                                                               const Genesis& genesis) {
  LT_TRY(auto store, Store::Open(options.db_path, false));
  LT_TRY(auto existing, store->GenesisText());
  if (existing)
    return MakeError(ErrorCode::kAlreadyExists,
                     "ledger database " + options.db_path + " already has a genesis");
  LedgerState state = LedgerState::FromGenesis(genesis);
  LT_TRY_STATUS(store->Begin());
  Status st = store->WriteGenesis(GenesisToJson(genesis).dump());
  if (st.ok()) st = store->Flush(state);
  if (st.ok()) st = store->Commit();
  if (!st.ok()) {
    store->Rollback();
    return st.error();
  }
  // Keep this connection (a ":memory:" database lives only as long as it).
  return OpenStore(options, std::move(store));
}

Result<std::unique_ptr<EmbeddedLedger>> EmbeddedLedger::Open(const EmbeddedOptions& options) {
  LT_TRY(auto store, Store::Open(options.db_path, false));
  return OpenStore(options, std::move(store));
}

Result<std::unique_ptr<EmbeddedLedger>> EmbeddedLedger::OpenStore(const EmbeddedOptions& options,
                                                                  std::unique_ptr<Store> store) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = options.clock != nullptr ? options.clock : SystemClock::Default();
  impl->store = std::move(store);
  LT_TRY(auto text, impl->store->GenesisText());
  if (!text) return NotFound("ledger database " + options.db_path + " has no genesis (run lt ledger init)");
  LT_TRY(impl->genesis, ParseGenesisText(*text));
  impl->domain = LedgerDomain::Make(impl->genesis.chain_id, impl->genesis.verifying_contract);
  LT_TRY(LedgerState st, impl->store->LoadState(impl->genesis));
  impl->state.emplace(std::move(st));
  LT_TRY(impl->log_size, impl->store->LogSize());
  return std::unique_ptr<EmbeddedLedger>(new EmbeddedLedger(std::move(impl)));
}

const LedgerDomain& EmbeddedLedger::domain() const { return impl_->domain; }

Result<SubmitResult> EmbeddedLedger::Submit(const SignedTx& tx) {
  auto r = SubmitMany({tx});
  return std::move(r[0]);
}

std::vector<Result<SubmitResult>> EmbeddedLedger::SubmitMany(const std::vector<SignedTx>& txs) {
  // Signatures are checked before taking the write lock, on all cores.
  auto verified = VerifyTxs(txs, impl_->domain, impl_->options.verify_threads);
  return impl_->Enqueue(std::move(verified));
}

Result<uint64_t> EmbeddedLedger::CloseDays() {
  std::lock_guard<std::mutex> wl(impl_->write_mu);
  std::unique_lock<std::shared_mutex> lock(impl_->mu);
  if (impl_->state->globals().day >= impl_->genesis.DayOf(impl_->Now())) return uint64_t{0};
  LT_TRY_STATUS(impl_->store->Begin());
  uint64_t closed = 0;
  Status st = impl_->AdvanceLocked(impl_->Now(), &closed);
  if (st.ok()) st = impl_->store->Flush(*impl_->state);
  if (st.ok()) st = impl_->store->Commit();
  if (!st.ok()) {
    impl_->store->Rollback();
    impl_->Reload();
    return st.error();
  }
  return closed;
}

Result<AccountInfo> EmbeddedLedger::GetAccount(const crypto::Address& a) {
  std::shared_lock<std::shared_mutex> lock(impl_->mu);
  return AccountView(*impl_->state, a);
}

Result<std::vector<ModelInfo>> EmbeddedLedger::GetModels() {
  std::shared_lock<std::shared_mutex> lock(impl_->mu);
  return ModelsView(*impl_->state);
}

Result<ModelInfo> EmbeddedLedger::GetModel(const std::string& name) {
  std::shared_lock<std::shared_mutex> lock(impl_->mu);
  return ModelView(*impl_->state, name);
}

Result<std::vector<ProviderInfo>> EmbeddedLedger::GetProviders() {
  std::shared_lock<std::shared_mutex> lock(impl_->mu);
  return ProvidersView(*impl_->state);
}

Result<std::vector<RouterInfo>> EmbeddedLedger::GetRouters() {
  std::shared_lock<std::shared_mutex> lock(impl_->mu);
  std::vector<RouterInfo> out;
  for (const auto& [addr, endpoint] : impl_->state->router_endpoints_.rows()) {
    out.push_back({addr, endpoint, impl_->state->GetAccount(addr).router_stake});
  }
  return out;
}

Result<DayInfo> EmbeddedLedger::GetDay() {
  std::shared_lock<std::shared_mutex> lock(impl_->mu);
  return DayView(*impl_->state, impl_->Now());
}

Result<StatsInfo> EmbeddedLedger::GetStats() {
  std::shared_lock<std::shared_mutex> lock(impl_->mu);
  return StatsView(*impl_->state, impl_->log_size);
}

Result<std::vector<TxLogEntry>> EmbeddedLedger::GetTxs(uint64_t from, uint64_t limit) {
  // The store's statements are not shared between threads: reads of the log take the writer lock.
  std::lock_guard<std::mutex> wl(impl_->write_mu);
  return impl_->store->ReadLog(from, limit);
}

Result<Genesis> EmbeddedLedger::GetGenesis() { return impl_->genesis; }

Result<StateInfo> EmbeddedLedger::GetStateInfo() {
  std::shared_lock<std::shared_mutex> lock(impl_->mu);
  StateInfo info;
  info.state_hash = impl_->state->StateHash();
  Status inv = impl_->state->CheckInvariant();
  info.invariant_ok = inv.ok();
  if (!inv.ok()) info.invariant_error = inv.error().message;
  info.tx_log_size = impl_->log_size;
  return info;
}

Result<VerifyReport> EmbeddedLedger::Verify(const std::string& db_path) {
  LT_TRY(auto store, Store::Open(db_path, true));
  LT_TRY(auto text, store->GenesisText());
  if (!text) return NotFound("ledger database " + db_path + " has no genesis");
  LT_TRY(Genesis genesis, ParseGenesisText(*text));
  LedgerDomain domain = LedgerDomain::Make(genesis.chain_id, genesis.verifying_contract);
  LedgerState replay = LedgerState::FromGenesis(genesis);
  VerifyReport report;
  uint64_t next = 0;
  const uint64_t kPage = 512;
  while (true) {
    LT_TRY(auto entries, store->ReadLog(next, kPage));
    // Verify the page's signatures on all cores, then apply in order.
    std::vector<SignedTx> txs;
    std::vector<size_t> which;
    for (size_t i = 0; i < entries.size(); ++i) {
      const TxLogEntry& e = entries[i];
      if (e.index != next + i) {
        return Corrupt("tx log: entry " + std::to_string(next + i) + " is missing");
      }
      if (e.type == "tick") continue;
      auto stx = ParseSignedTx(e.tx, domain);
      if (!stx.ok()) return Corrupt("tx log entry " + std::to_string(e.index) + ": " + stx.error().message);
      txs.push_back(std::move(*stx));
      which.push_back(i);
    }
    auto verified = VerifyTxs(std::move(txs), domain, 0);
    size_t vi = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      const TxLogEntry& e = entries[i];
      replay.AdvanceTo(e.time);
      if (e.type == "tick") continue;
      auto& v = verified[vi++];
      if (!v.ok()) return Corrupt("tx log entry " + std::to_string(e.index) + ": " + v.error().message);
      auto r = replay.Apply(*v, e.time);
      if (!r.ok())
        return Corrupt("tx log entry " + std::to_string(e.index) + " does not apply: " + r.error().message);
      if (*r != e.outcome) {
        return Corrupt("tx log entry " + std::to_string(e.index) +
                       ": re-executed outcome differs from the logged one");
      }
      LT_TRY_STATUS(replay.CheckInvariant());
    }
    report.entries += entries.size();
    next += entries.size();
    if (entries.size() < kPage) break;
  }
  LT_TRY(LedgerState stored, store->LoadState(genesis));
  report.replayed_hash = replay.StateHash();
  report.stored_hash = stored.StateHash();
  report.ok = report.replayed_hash == report.stored_hash;
  report.message = report.ok ? "the tx log reproduces the stored state"
                             : "the stored state differs from the re-executed tx log";
  return report;
}

}  // namespace lt::ledger
