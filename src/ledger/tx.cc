// Ledger transactions: type strings, native EIP-712 hashing, JSON forms, signing, verification.
#include "ledger/tx.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <thread>

#include "crypto/eip712.h"
#include "crypto/keccak.h"
#include "util/json.h"

namespace lt::ledger {

using nlohmann::json;

namespace {

struct TypeInfo {
  TxType type;
  const char* name;
  const char* primary;
  const char* type_string;
};

// Field order is part of the type hash: never reorder. doc/ledger.md lists the same strings.
constexpr std::array<TypeInfo, kTxTypeCount> kTypes = {{
    {TxType::kTransfer, "transfer", "Transfer",
     "Transfer(address from,address to,uint256 amount,uint64 nonce)"},
    {TxType::kDeposit, "deposit", "Deposit", "Deposit(address owner,uint256 amount,uint64 nonce)"},
    {TxType::kWithdraw, "withdraw", "Withdraw", "Withdraw(address owner,uint256 amount,uint64 nonce)"},
    {TxType::kRegisterModel, "register_model", "RegisterModel",
     "RegisterModel(address owner,string name,string kind,uint32 builderFeeBps,uint64 nonce)"},
    {TxType::kSetTag, "set_tag", "SetTag",
     "SetTag(address owner,string name,string tag,bytes32 manifest,uint64 nonce)"},
    {TxType::kRegisterProvider, "register_provider", "RegisterProvider",
     "RegisterProvider(address provider,string endpoint,uint256 stake,uint64 nonce)"},
    {TxType::kSetOffer, "set_offer", "Offer",
     "Offer(address provider,bytes32 manifest,uint256 pricePerSecond,uint32 minSeconds,uint32 tps,uint32 "
     "slots,"
     "uint64 nonce)"},
    {TxType::kStakeRouter, "stake_router", "StakeRouter",
     "StakeRouter(address router,uint256 amount,uint64 nonce)"},
    {TxType::kUnstake, "unstake", "Unstake",
     "Unstake(address owner,string role,uint256 amount,uint64 nonce)"},
    {TxType::kSettleBatch, "settle_batch", "SettleBatch",
     "SettleBatch(address sender,bytes32 receiptsHash,uint32 count,uint64 nonce)"},
    {TxType::kClaim, "claim", "Claim", "Claim(address owner,uint64 nonce)"},
    {TxType::kCloseDay, "close_day", "CloseDay", "CloseDay(address sender,uint64 day,uint64 nonce)"},
    {TxType::kMint, "mint", "Mint", "Mint(address minter,address to,uint256 amount,uint64 nonce)"},
    {TxType::kSetRouterEndpoint, "set_router_endpoint", "RouterEndpoint",
     "RouterEndpoint(address router,string endpoint,uint64 nonce)"},
}};

const TypeInfo& Info(TxType t) { return kTypes[static_cast<size_t>(t)]; }

const Hash32& TypeHash(TxType t) {
  static const std::array<Hash32, kTxTypeCount> hashes = [] {
    std::array<Hash32, kTxTypeCount> h;
    for (size_t i = 0; i < kTypes.size(); ++i) h[i] = crypto::Keccak(std::string_view(kTypes[i].type_string));
    return h;
  }();
  return hashes[static_cast<size_t>(t)];
}

// The sender's field name in each message ("from", "owner", ...).
const char* SenderField(TxType t) {
  switch (t) {
    case TxType::kTransfer:
      return "from";
    case TxType::kRegisterProvider:
    case TxType::kSetOffer:
      return "provider";
    case TxType::kStakeRouter:
    case TxType::kSetRouterEndpoint:
      return "router";
    case TxType::kSettleBatch:
    case TxType::kCloseDay:
      return "sender";
    case TxType::kMint:
      return "minter";
    default:
      return "owner";
  }
}

// ---- strict field readers for the message object ------------------------------------------------

Status CheckKeys(const json& m, std::initializer_list<const char*> keys) {
  if (!m.is_object()) return InvalidArgument("message must be a JSON object");
  for (const auto& [k, v] : m.items()) {
    bool known = false;
    for (const char* want : keys) known = known || k == want;
    if (!known) return InvalidArgument("message." + k + ": unknown field");
  }
  for (const char* want : keys) {
    if (!m.contains(want)) return InvalidArgument(std::string("message.") + want + ": missing");
  }
  return OkStatus();
}

Result<crypto::Address> GetAddress(const json& m, const char* k) {
  if (!m[k].is_string()) return InvalidArgument(std::string("message.") + k + ": expected an address string");
  auto a = crypto::ParseAddress(m[k].get<std::string>());
  if (!a.ok()) return InvalidArgument(std::string("message.") + k + ": " + a.error().message);
  return *a;
}

Result<U256> GetU256(const json& m, const char* k) {
  auto v = U256FromJson(m[k]);
  if (!v.ok()) return InvalidArgument(std::string("message.") + k + ": " + v.error().message);
  return *v;
}

Result<uint64_t> GetUint(const json& m, const char* k, uint64_t max) {
  const json& v = m[k];
  uint64_t out = 0;
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
  } else if (v.is_string()) {
    auto u = U256::Parse(v.get<std::string>());
    if (!u.ok() || !u->FitsU64())
      return InvalidArgument(std::string("message.") + k + ": not an unsigned integer");
    out = u->Low64();
  } else {
    return InvalidArgument(std::string("message.") + k + ": expected an unsigned integer");
  }
  if (out > max) return InvalidArgument(std::string("message.") + k + ": out of range");
  return out;
}

Result<std::string> GetString(const json& m, const char* k, size_t max_len) {
  if (!m[k].is_string()) return InvalidArgument(std::string("message.") + k + ": expected a string");
  std::string s = m[k].get<std::string>();
  if (s.size() > max_len)
    return InvalidArgument(std::string("message.") + k + ": longer than " + std::to_string(max_len));
  return s;
}

Result<Hash32> GetBytes32(const json& m, const char* k) {
  if (!m[k].is_string())
    return InvalidArgument(std::string("message.") + k + ": expected 0x + 64 hex digits");
  auto h = HexDecodeFixed<32>(m[k].get<std::string>());
  if (!h.ok()) return InvalidArgument(std::string("message.") + k + ": " + h.error().message);
  return *h;
}

Result<Tx> TxFromMessage(TxType type, const json& m) {
  Tx tx;
  tx.type = type;
  const char* s = SenderField(type);
  switch (type) {
    case TxType::kTransfer:
    case TxType::kMint: {
      LT_TRY_STATUS(CheckKeys(m, {s, "to", "amount", "nonce"}));
      LT_TRY(tx.to, GetAddress(m, "to"));
      LT_TRY(tx.amount, GetU256(m, "amount"));
      break;
    }
    case TxType::kDeposit:
    case TxType::kWithdraw:
    case TxType::kStakeRouter: {
      LT_TRY_STATUS(CheckKeys(m, {s, "amount", "nonce"}));
      LT_TRY(tx.amount, GetU256(m, "amount"));
      break;
    }
    case TxType::kRegisterModel: {
      LT_TRY_STATUS(CheckKeys(m, {s, "name", "kind", "builderFeeBps", "nonce"}));
      LT_TRY(tx.name, GetString(m, "name", 1024));
      LT_TRY(tx.kind, GetString(m, "kind", 64));
      LT_TRY(uint64_t fee, GetUint(m, "builderFeeBps", UINT32_MAX));
      tx.builder_fee_bps = static_cast<uint32_t>(fee);
      break;
    }
    case TxType::kSetTag: {
      LT_TRY_STATUS(CheckKeys(m, {s, "name", "tag", "manifest", "nonce"}));
      LT_TRY(tx.name, GetString(m, "name", 1024));
      LT_TRY(tx.tag, GetString(m, "tag", 1024));
      LT_TRY(tx.manifest, GetBytes32(m, "manifest"));
      break;
    }
    case TxType::kRegisterProvider: {
      LT_TRY_STATUS(CheckKeys(m, {s, "endpoint", "stake", "nonce"}));
      LT_TRY(tx.endpoint, GetString(m, "endpoint", 1024));
      LT_TRY(tx.amount, GetU256(m, "stake"));
      break;
    }
    case TxType::kSetOffer: {
      LT_TRY_STATUS(CheckKeys(m, {s, "manifest", "pricePerSecond", "minSeconds", "tps", "slots", "nonce"}));
      LT_TRY(tx.manifest, GetBytes32(m, "manifest"));
      LT_TRY(tx.price_per_second, GetU256(m, "pricePerSecond"));
      LT_TRY(uint64_t mins, GetUint(m, "minSeconds", UINT32_MAX));
      LT_TRY(uint64_t tps, GetUint(m, "tps", UINT32_MAX));
      LT_TRY(uint64_t slots, GetUint(m, "slots", UINT32_MAX));
      tx.min_seconds = static_cast<uint32_t>(mins);
      tx.tps = static_cast<uint32_t>(tps);
      tx.slots = static_cast<uint32_t>(slots);
      break;
    }
    case TxType::kUnstake: {
      LT_TRY_STATUS(CheckKeys(m, {s, "role", "amount", "nonce"}));
      LT_TRY(tx.role, GetString(m, "role", 64));
      LT_TRY(tx.amount, GetU256(m, "amount"));
      break;
    }
    case TxType::kSettleBatch: {
      LT_TRY_STATUS(CheckKeys(m, {s, "receiptsHash", "count", "nonce"}));
      LT_TRY(tx.receipts_hash, GetBytes32(m, "receiptsHash"));
      LT_TRY(uint64_t count, GetUint(m, "count", UINT32_MAX));
      tx.count = static_cast<uint32_t>(count);
      break;
    }
    case TxType::kClaim: {
      LT_TRY_STATUS(CheckKeys(m, {s, "nonce"}));
      break;
    }
    case TxType::kSetRouterEndpoint: {
      LT_TRY_STATUS(CheckKeys(m, {s, "endpoint", "nonce"}));
      LT_TRY(tx.endpoint, GetString(m, "endpoint", 1024));
      break;
    }
    case TxType::kCloseDay: {
      LT_TRY_STATUS(CheckKeys(m, {s, "day", "nonce"}));
      LT_TRY(tx.day, GetUint(m, "day", UINT64_MAX));
      break;
    }
  }
  LT_TRY(tx.sender, GetAddress(m, s));
  LT_TRY(tx.nonce, GetUint(m, "nonce", UINT64_MAX));
  return tx;
}

Result<crypto::Signature> GetSignature(const json& body) {
  if (!body.contains("signature") || !body["signature"].is_string()) {
    return InvalidArgument("signature: missing (expected 0x + 130 hex digits)");
  }
  auto sig = crypto::ParseSignature(body["signature"].get<std::string>());
  if (!sig.ok()) return InvalidArgument("signature: " + sig.error().message);
  return *sig;
}

Status CheckDomain(const json& d, const LedgerDomain& domain) {
  if (!d.is_object()) return InvalidArgument("domain must be an object");
  if (JsonStr(d, "name") != "LakeTravis" || JsonStr(d, "version") != "1") {  // json::value throws on a non-string
    return Unauthenticated("domain must be {name: \"LakeTravis\", version: \"1\"}");
  }
  if (!d.contains("chainId")) return InvalidArgument("domain.chainId: missing");
  auto chain = U256FromJson(d["chainId"]);
  if (!chain.ok() || *chain != U256(domain.chain_id)) {
    return Unauthenticated("wrong chain id in the domain: this ledger is chain " +
                           std::to_string(domain.chain_id) + ", got " +
                           (chain.ok() ? chain->ToDecimal() : std::string("malformed")));
  }
  if (!d.contains("verifyingContract") || !d["verifyingContract"].is_string()) {
    return InvalidArgument("domain.verifyingContract: missing");
  }
  auto c = crypto::ParseAddress(d["verifyingContract"].get<std::string>());
  if (!c.ok() || *c != domain.verifying_contract) {
    return Unauthenticated("wrong verifyingContract in the domain: this ledger is " +
                           domain.verifying_contract.ToChecksumHex() + ", got " +
                           d["verifyingContract"].get<std::string>().substr(0, 64));
  }
  return OkStatus();
}

}  // namespace

std::string_view TxTypeName(TxType t) { return Info(t).name; }
std::string_view TxPrimaryType(TxType t) { return Info(t).primary; }
std::string_view TxTypeString(TxType t) { return Info(t).type_string; }

Result<TxType> ParseTxType(std::string_view name) {
  for (const auto& i : kTypes) {
    if (name == i.name) return i.type;
  }
  return InvalidArgument("unknown transaction type '" + std::string(name.substr(0, 64)) + "'");
}

LedgerDomain LedgerDomain::Make(uint64_t chain_id, const crypto::Address& contract) {
  LedgerDomain d;
  d.chain_id = chain_id;
  d.verifying_contract = contract;
  static const Hash32 type_hash = crypto::Keccak(
      std::string_view("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"));
  d.separator = crypto::StructHasher(type_hash)
                    .Add(crypto::WordString("LakeTravis"))
                    .Add(crypto::WordString("1"))
                    .Add(crypto::WordUint(chain_id))
                    .Add(crypto::WordAddress(contract))
                    .Finish();
  return d;
}

json LedgerDomain::ToJson() const {
  return {{"name", "LakeTravis"},
          {"version", "1"},
          {"chainId", chain_id},
          {"verifyingContract", verifying_contract.ToChecksumHex()}};
}

Hash32 TxStructHash(const Tx& tx) {
  using namespace crypto;
  StructHasher h(TypeHash(tx.type));
  h.Add(WordAddress(tx.sender));
  switch (tx.type) {
    case TxType::kTransfer:
    case TxType::kMint:
      h.Add(WordAddress(tx.to)).Add(WordUint(tx.amount));
      break;
    case TxType::kDeposit:
    case TxType::kWithdraw:
    case TxType::kStakeRouter:
      h.Add(WordUint(tx.amount));
      break;
    case TxType::kRegisterModel:
      h.Add(WordString(tx.name)).Add(WordString(tx.kind)).Add(WordUint(uint64_t{tx.builder_fee_bps}));
      break;
    case TxType::kSetTag:
      h.Add(WordString(tx.name)).Add(WordString(tx.tag)).Add(WordBytes32(tx.manifest));
      break;
    case TxType::kRegisterProvider:
      h.Add(WordString(tx.endpoint)).Add(WordUint(tx.amount));
      break;
    case TxType::kSetRouterEndpoint:
      h.Add(WordString(tx.endpoint));
      break;
    case TxType::kSetOffer:
      h.Add(WordBytes32(tx.manifest))
          .Add(WordUint(tx.price_per_second))
          .Add(WordUint(uint64_t{tx.min_seconds}))
          .Add(WordUint(uint64_t{tx.tps}))
          .Add(WordUint(uint64_t{tx.slots}));
      break;
    case TxType::kUnstake:
      h.Add(WordString(tx.role)).Add(WordUint(tx.amount));
      break;
    case TxType::kSettleBatch:
      h.Add(WordBytes32(tx.receipts_hash)).Add(WordUint(uint64_t{tx.count}));
      break;
    case TxType::kClaim:
      break;
    case TxType::kCloseDay:
      h.Add(WordUint(tx.day));
      break;
  }
  h.Add(WordUint(tx.nonce));
  return h.Finish();
}

Hash32 TxDigest(const Tx& tx, const LedgerDomain& domain) {
  return crypto::Eip712Digest(domain.separator, TxStructHash(tx));
}

json TxMessageJson(const Tx& tx) {
  json m;
  m[SenderField(tx.type)] = tx.sender.ToChecksumHex();
  switch (tx.type) {
    case TxType::kTransfer:
    case TxType::kMint:
      m["to"] = tx.to.ToChecksumHex();
      m["amount"] = tx.amount;
      break;
    case TxType::kDeposit:
    case TxType::kWithdraw:
    case TxType::kStakeRouter:
      m["amount"] = tx.amount;
      break;
    case TxType::kRegisterModel:
      m["name"] = tx.name;
      m["kind"] = tx.kind;
      m["builderFeeBps"] = tx.builder_fee_bps;
      break;
    case TxType::kSetTag:
      m["name"] = tx.name;
      m["tag"] = tx.tag;
      m["manifest"] = HexEncode0x(tx.manifest);
      break;
    case TxType::kRegisterProvider:
      m["endpoint"] = tx.endpoint;
      m["stake"] = tx.amount;
      break;
    case TxType::kSetRouterEndpoint:
      m["endpoint"] = tx.endpoint;
      break;
    case TxType::kSetOffer:
      m["manifest"] = HexEncode0x(tx.manifest);
      m["pricePerSecond"] = tx.price_per_second;
      m["minSeconds"] = tx.min_seconds;
      m["tps"] = tx.tps;
      m["slots"] = tx.slots;
      break;
    case TxType::kUnstake:
      m["role"] = tx.role;
      m["amount"] = tx.amount;
      break;
    case TxType::kSettleBatch:
      m["receiptsHash"] = HexEncode0x(tx.receipts_hash);
      m["count"] = tx.count;
      break;
    case TxType::kClaim:
      break;
    case TxType::kCloseDay:
      m["day"] = tx.day;
      break;
  }
  m["nonce"] = tx.nonce;
  return m;
}

json TxTypedData(const Tx& tx, const LedgerDomain& domain) {
  // Fields from the type string "Name(type a,type b,...)".
  std::string_view ts = TxTypeString(tx.type);
  std::string_view inner = ts.substr(ts.find('(') + 1, ts.size() - ts.find('(') - 2);
  json fields = json::array();
  while (!inner.empty()) {
    size_t comma = inner.find(',');
    std::string_view f = inner.substr(0, comma);
    size_t sp = f.find(' ');
    fields.push_back({{"name", std::string(f.substr(sp + 1))}, {"type", std::string(f.substr(0, sp))}});
    if (comma == std::string_view::npos) break;
    inner.remove_prefix(comma + 1);
  }
  json types = {{"EIP712Domain", json::array({{{"name", "name"}, {"type", "string"}},
                                              {{"name", "version"}, {"type", "string"}},
                                              {{"name", "chainId"}, {"type", "uint256"}},
                                              {{"name", "verifyingContract"}, {"type", "address"}}})},
                {std::string(TxPrimaryType(tx.type)), fields}};
  return {{"types", types},
          {"primaryType", std::string(TxPrimaryType(tx.type))},
          {"domain", domain.ToJson()},
          {"message", TxMessageJson(tx)}};
}

Hash32 ReceiptsHash(const std::vector<Receipt>& receipts) {
  crypto::Keccak256 h;
  for (const auto& r : receipts) {
    h.Update(wire::HashStruct(r.ticket.ticket));
    h.Update(r.ticket.router_sig);
    h.Update(wire::HashStruct(r.voucher.voucher));
    h.Update(r.voucher.user_sig);
  }
  return h.Finalize();
}


json SignedTxToJson(const SignedTx& stx) {
  json j = {{"type", std::string(TxTypeName(stx.tx.type))},
            {"message", TxMessageJson(stx.tx)},
            {"signature", HexEncode0x(stx.signature)}};
  if (stx.tx.type == TxType::kSettleBatch) {
    json rs = json::array();
    for (const auto& r : stx.tx.receipts) rs.push_back(r.ToJson());
    j["receipts"] = std::move(rs);
  }
  return j;
}

Result<SignedTx> ParseSignedTx(const json& body, const LedgerDomain& domain) {
  if (!body.is_object()) return InvalidArgument("transaction must be a JSON object");
  SignedTx stx;
  if (body.contains("typedData")) {
    const json& td = body["typedData"];
    if (!td.is_object()) return InvalidArgument("typedData must be an object");
    LT_TRY_STATUS(CheckDomain(td.value("domain", json()), domain));
    if (!td.contains("primaryType") || !td["primaryType"].is_string()) {
      return InvalidArgument("typedData.primaryType: missing");
    }
    std::string primary = td["primaryType"].get<std::string>();
    std::optional<TxType> type;
    for (const auto& i : kTypes) {
      if (primary == i.primary) type = i.type;
    }
    if (!type)
      return InvalidArgument("typedData.primaryType: '" + primary.substr(0, 64) +
                             "' is not a ledger transaction");
    // The declared types must be exactly ours (otherwise the wallet signed something else).
    auto parsed = crypto::ParseTypedData(td);
    if (!parsed.ok()) return InvalidArgument("typedData: " + parsed.error().message);
    auto enc = parsed->types.EncodeType(primary);
    if (!enc.ok() || *enc != TxTypeString(*type)) {
      return InvalidArgument("typedData.types." + primary + " must be " + std::string(TxTypeString(*type)));
    }
    LT_TRY(stx.tx, TxFromMessage(*type, td["message"]));
  } else {
    if (!body.contains("type") || !body["type"].is_string()) return InvalidArgument("type: missing");
    LT_TRY(TxType type, ParseTxType(body["type"].get<std::string>()));
    if (body.contains("domain")) LT_TRY_STATUS(CheckDomain(body["domain"], domain));
    if (!body.contains("message")) return InvalidArgument("message: missing");
    LT_TRY(stx.tx, TxFromMessage(type, body["message"]));
  }
  LT_TRY(stx.signature, GetSignature(body));
  if (stx.tx.type == TxType::kSettleBatch) {
    if (!body.contains("receipts") || !body["receipts"].is_array()) {
      return InvalidArgument("receipts: settle_batch needs an array of receipts");
    }
    const json& rs = body["receipts"];
    if (rs.size() > kMaxReceipts) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "receipts: at most " + std::to_string(kMaxReceipts) + " per batch");
    }
    stx.tx.receipts.reserve(rs.size());
    for (size_t i = 0; i < rs.size(); ++i) {
      LT_TRY(Receipt r, Receipt::FromJson(rs[i], "receipts[" + std::to_string(i) + "]"));
      stx.tx.receipts.push_back(std::move(r));
    }
  } else if (body.contains("receipts")) {
    return InvalidArgument("receipts: only settle_batch carries receipts");
  }
  return stx;
}

SignedTx SignTx(Tx tx, const crypto::PrivateKey& key, const LedgerDomain& domain) {
  tx.sender = key.GetAddress();
  if (tx.type == TxType::kSettleBatch) {
    tx.count = static_cast<uint32_t>(tx.receipts.size());
    tx.receipts_hash = ReceiptsHash(tx.receipts);
  }
  SignedTx stx;
  stx.signature = key.Sign(TxDigest(tx, domain));
  stx.tx = std::move(tx);
  return stx;
}

namespace {

void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& fn) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  size_t t = std::min<size_t>(static_cast<size_t>(threads), n / 16 + 1);
  if (t <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(16)) < n;) {
      for (size_t j = i; j < std::min(n, i + 16); ++j) fn(j);
    }
  };
  std::vector<std::thread> pool;
  for (size_t k = 1; k < t; ++k) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

Status CheckSender(const SignedTx& stx, const LedgerDomain& domain) {
  const Tx& tx = stx.tx;
  auto signer = crypto::Recover(TxDigest(tx, domain), stx.signature);
  if (!signer.ok()) return Unauthenticated("bad signature: " + signer.error().message);
  if (*signer != tx.sender) {
    return Unauthenticated("bad signature: signed by " + signer->ToChecksumHex() + ", not by the sender " +
                           tx.sender.ToChecksumHex() + " (or for another chain id / contract)");
  }
  if (tx.type == TxType::kSettleBatch) {
    if (tx.count != tx.receipts.size()) {
      return InvalidArgument("settle_batch: count is " + std::to_string(tx.count) + " but " +
                             std::to_string(tx.receipts.size()) + " receipts were sent");
    }
    if (ReceiptsHash(tx.receipts) != tx.receipts_hash) {
      return Unauthenticated("settle_batch: receiptsHash does not match the receipts sent");
    }
  }
  return OkStatus();
}


}  // namespace

Result<VerifiedTx> VerifyTx(SignedTx stx, const LedgerDomain& domain) {
  std::vector<SignedTx> one;
  one.push_back(std::move(stx));
  auto r = VerifyTxs(std::move(one), domain, 1);
  return std::move(r[0]);
}

std::vector<Result<VerifiedTx>> VerifyTxs(std::vector<SignedTx> txs, const LedgerDomain& domain,
                                          int threads) {
  std::vector<Status> sender(txs.size());
  // Flatten every receipt of every settle_batch so one big batch also spreads over the threads.
  std::vector<std::pair<size_t, size_t>> receipts;
  std::vector<VerifiedTx> out(txs.size());
  for (size_t i = 0; i < txs.size(); ++i) {
    if (txs[i].tx.type != TxType::kSettleBatch) continue;
    out[i].receipt_checks.resize(txs[i].tx.receipts.size());
    for (size_t j = 0; j < txs[i].tx.receipts.size(); ++j) receipts.emplace_back(i, j);
  }
  ParallelFor(txs.size() + receipts.size(), threads, [&](size_t k) {
    if (k < txs.size()) {
      sender[k] = CheckSender(txs[k], domain);
    } else {
      auto [i, j] = receipts[k - txs.size()];
      out[i].receipt_checks[j] = wire::CheckReceiptSignatures(txs[i].tx.receipts[j], domain.separator);
    }
  });
  std::vector<Result<VerifiedTx>> results;
  results.reserve(txs.size());
  for (size_t i = 0; i < txs.size(); ++i) {
    if (!sender[i].ok()) {
      results.push_back(sender[i].error());
    } else {
      out[i].stx = std::move(txs[i]);
      results.push_back(std::move(out[i]));
    }
  }
  return results;
}

}  // namespace lt::ledger
