#include "evm/sender.h"

#include <chrono>
#include <thread>

namespace lt::evm {

namespace {

U256 Percent(const U256& v, uint32_t percent) {
  return U256::MulDiv(v, U256(100 + percent), U256(100)).value_or(U256::Max());
}

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

uint64_t NowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

bool Contains(const std::string& s, std::string_view what) { return s.find(what) != std::string::npos; }

}  // namespace

TxSender::TxSender(EthRpc* rpc, crypto::PrivateKey key, uint64_t chain_id)
    : rpc_(rpc), key_(std::move(key)), chain_id_(chain_id) {}

Status TxSender::Resync() {
  std::lock_guard<std::mutex> l(mu_);
  LT_TRY(uint64_t n, rpc_->TransactionCount(address(), "pending"));
  next_nonce_ = n;
  return OkStatus();
}

Result<SendOutcome> TxSender::Send(std::optional<crypto::Address> to, ByteSpan data, const U256& value,
                                   const SendOptions& options) {
  std::lock_guard<std::mutex> l(mu_);
  return SendLocked(to, data, value, options);
}

Result<SendOutcome> TxSender::SendLocked(std::optional<crypto::Address> to, ByteSpan data, const U256& value,
                                         const SendOptions& options) {
  SendOutcome out;
  CallRequest call;
  call.from = address();
  call.to = to;
  call.data.assign(data.begin(), data.end());
  call.value = value;
  uint64_t gas = options.gas_limit;
  if (gas == 0) {
    LT_TRY(CallOutcome est, rpc_->EstimateGas(call));
    if (est.reverted) {
      out.reverted = true;
      out.revert_data = std::move(est.data);
      out.revert_message = std::move(est.message);
      return out;
    }
    gas = est.gas + est.gas * options.gas_margin_percent / 100;
  }
  if (!next_nonce_) {
    LT_TRY(uint64_t n, rpc_->TransactionCount(address(), "pending"));
    next_nonce_ = n;
  }
  LT_TRY(BlockHeader head, rpc_->Block("latest"));
  U256 tip;
  if (auto t = rpc_->MaxPriorityFeePerGas(); t.ok()) {
    tip = *t;
  } else {
    tip = U256(1'000'000'000);  // 1 gwei when the node does not suggest one
  }
  Eip1559Tx tx;
  tx.chain_id = chain_id_;
  tx.nonce = *next_nonce_;
  tx.max_priority_fee_per_gas = tip;
  tx.max_fee_per_gas = head.base_fee.CheckedMul(U256(2)).value_or(U256::Max()).CheckedAdd(tip).value_or(U256::Max());
  tx.gas_limit = gas;
  tx.to = to;
  tx.value = value;
  tx.data = call.data;

  std::optional<Error> last;
  int nonce_retries = 0;
  std::vector<Hash32> sent;  // every version of this transaction (any of them may be mined)
  for (int attempt = 0; attempt < std::max(1, options.max_attempts); ++attempt) {
    if (attempt > 0) {
      tx.max_priority_fee_per_gas = Percent(tx.max_priority_fee_per_gas, options.fee_bump_percent);
      tx.max_fee_per_gas = Percent(tx.max_fee_per_gas, options.fee_bump_percent);
    }
    SignedEip1559Tx stx = SignTransaction(tx, key_);
    Hash32 hash = stx.Hash();
    auto sr = rpc_->SendRawTransaction(stx.Raw());
    if (!sr.ok()) {
      const std::string& m = sr.error().message;
      if (Contains(m, "nonce too low") && nonce_retries++ < 3) {
        LT_TRY(uint64_t n, rpc_->TransactionCount(address(), "pending"));
        tx.nonce = n;
        next_nonce_ = n;
        --attempt;
        continue;
      }
      if (!Contains(m, "already known") && !Contains(m, "underpriced")) return sr.error();
      last = sr.error();  // the same or a cheaper version is pending: wait for it, then bump
    } else {
      sent.push_back(hash);
      next_nonce_ = tx.nonce + 1;
    }
    // Wait for any version to be mined.
    uint64_t deadline = NowMs() + static_cast<uint64_t>(options.receipt_timeout_ms);
    std::optional<TxReceipt> got;
    while (!got) {
      for (const auto& h : sent) {
        LT_TRY(auto r, rpc_->Receipt(h));
        if (r) {
          got = std::move(*r);
          break;
        }
      }
      if (got || NowMs() >= deadline) break;
      Sleep(options.poll_ms);
    }
    if (!got) {
      last = MakeError(ErrorCode::kTimeout, "transaction " + HexEncode0x(hash) + " not mined within " +
                                                std::to_string(options.receipt_timeout_ms) + " ms");
      continue;
    }
    out.tx_hash = got->tx_hash;
    // Confirmations.
    if (options.confirmations > 1) {
      uint64_t want = got->block_number + options.confirmations - 1;
      uint64_t cdeadline = NowMs() + static_cast<uint64_t>(options.confirmation_timeout_ms);
      while (true) {
        LT_TRY(uint64_t head_now, rpc_->BlockNumber());
        if (head_now >= want) break;
        if (NowMs() >= cdeadline) {
          return MakeError(ErrorCode::kTimeout, "transaction " + HexEncode0x(out.tx_hash) + " has fewer than " +
                                                    std::to_string(options.confirmations) + " confirmations");
        }
        Sleep(options.poll_ms);
      }
      // A reorganisation may have dropped it: re-read the receipt.
      LT_TRY(auto again, rpc_->Receipt(out.tx_hash));
      if (!again) return MakeError(ErrorCode::kUnavailable, "transaction dropped by a reorganisation");
      got = std::move(*again);
    }
    if (!got->success) {
      out.reverted = true;
      CallRequest replay = call;
      replay.gas = gas;
      std::string parent = Quantity(U256(got->block_number > 0 ? got->block_number - 1 : 0));
      if (auto c = rpc_->Call(replay, parent); c.ok() && c->reverted) {
        out.revert_data = std::move(c->data);
        out.revert_message = std::move(c->message);
      } else {
        out.revert_message = "reverted on chain (out of gas, or state changed since the estimate)";
      }
    }
    out.receipt = std::move(got);
    return out;
  }
  return last ? *last : MakeError(ErrorCode::kTimeout, "transaction not mined");
}

}  // namespace lt::evm
