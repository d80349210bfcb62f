// The Compute Contract's custom errors and refusal codes as the embedded ledger words them
// (src/ledger/rules.cc, tx.cc), so both backends give a person the same sentence and a program
// the same ErrorCode.
#include <map>

#include "evm/compute_client.h"

namespace lt::evm {

namespace {

using Code = ErrorCode;

std::string Mor(const AbiValue* v) { return v == nullptr ? "?" : v->word.ToMor(); }
std::string Dec(const AbiValue* v) { return v == nullptr ? "?" : v->word.ToDecimal(); }
std::string Addr(const AbiValue* v) { return v == nullptr ? "?" : v->AsAddress().ToChecksumHex(); }
std::string Str(const AbiValue* v) { return v == nullptr ? "?" : v->AsString().substr(0, 300); }
std::string Hex(const AbiValue* v) { return v == nullptr ? "?" : HexEncode0x(v->bytes); }

const char* BalanceName(const AbiValue* v) {
  switch (v == nullptr ? 0 : v->AsU64()) {
    case 1:
      return "wallet";
    case 2:
      return "vault";
    case 3:
      return "router stake";
    case 4:
      return "provider stake";
    default:
      return "balance";
  }
}

}  // namespace

std::string RefusalText(Refusal r) {
  switch (r) {
    case Refusal::kNone:
      return "";
    case Refusal::kVoucherOtherSession:
      return "the voucher is for another session";
    case Refusal::kTicketNotByRouter:
      return "the ticket is not signed by its router";
    case Refusal::kVoucherNotByUser:
      return "the voucher is not signed by the ticket's user";
    case Refusal::kSenderNotRouterOrProvider:
      return "the batch sender is neither the ticket's router nor its provider";
    case Refusal::kAlreadySettled:
      return "session already settled";
    case Refusal::kRouterNotStaked:
      return "the ticket's router has no stake";
    case Refusal::kManifestNotRegistered:
      return "the manifest is not registered";
    case Refusal::kCostOverflow:
      return "cost overflows uint256";
    case Refusal::kMinAboveMax:
      return "the ticket's minSeconds exceeds its maxSeconds";
    case Refusal::kMinAboveCap:
      return "the ticket's minSeconds exceeds the ledger's cap";
    case Refusal::kSessionIdNotRouters:
      return "the session id does not start with its ticket's router address";
  }
  return "refused (code " + std::to_string(static_cast<int>(r)) + ")";
}

Error ComputeRevertError(const DecodedRevert& d, const ContractAbi& token_abi, const U256& min_router_stake,
                         const std::vector<SessionReceipt>* receipts) {
  auto a = [&](std::string_view p) { return d.Arg(p); };
  const std::string& n = d.name;
  if (n == "Error" && !d.args.empty()) return MakeError(Code::kFailedPrecondition, "reverted: " + d.args[0].AsString());
  if (n == "Panic") return MakeError(Code::kInternal, "the contract panicked: " + d.Describe());
  if (d.error == nullptr) return MakeError(Code::kFailedPrecondition, "the contract " + d.Describe());

  if (n == "BadSignature") {
    return Unauthenticated("bad signature: signed by " + Addr(a("recovered")) + ", not by the sender " +
                           Addr(a("expected")) + " (or for another chain id / contract)");
  }
  if (n == "ReceiptsHashMismatch") return Unauthenticated("settle_batch: receiptsHash does not match the receipts sent");
  if (n == "StaleNonce" || n == "FutureNonce") {
    return MakeError(Code::kFailedPrecondition, std::string(n == "StaleNonce" ? "stale" : "future") + " nonce " +
                                                    Dec(a("nonce")) + ": the next nonce is " + Dec(a("next")));
  }
  if (n == "InsufficientFunds") {
    return MakeError(Code::kFailedPrecondition, std::string("insufficient funds: ") + BalanceName(a("balance")) +
                                                    " holds " + Mor(a("have")) + " MOR, needs " + Mor(a("need")) +
                                                    " MOR");
  }
  if (n == "ProviderStakeBelowMinimum") {
    return MakeError(Code::kFailedPrecondition,
                     "provider stake " + Mor(a("stake")) + " MOR is below the minimum " + Mor(a("minimum")) + " MOR");
  }
  if (n == "UnstakeAllOrKeepMinimum") {
    return MakeError(Code::kFailedPrecondition,
                     "unstake all or keep the minimum provider stake of " + Mor(a("minimum")) + " MOR");
  }
  if (n == "RouterStakeBelowMinimum") {
    return MakeError(Code::kFailedPrecondition,
                     "router stake " + Mor(a("stake")) + " MOR is below the minimum " + Mor(a("minimum")) + " MOR");
  }
  if (n == "NothingToClaim") return MakeError(Code::kFailedPrecondition, "nothing to claim");
  if (n == "DayNotEnded") {
    return MakeError(Code::kFailedPrecondition,
                     "day " + Dec(a("day")) + " has not ended yet (today is day " + Dec(a("today")) + ")");
  }
  if (n == "NoReceiptSettled") {
    std::string m = "no receipt of the batch could be settled: ";
    const AbiValue* reasons = a("reasons");
    // As the embedded ledger: kAlreadyExists when every receipt was settled before (whoever
    // settles one receipt at a time decides by it), kFailedPrecondition otherwise.
    bool all_settled_before = reasons != nullptr && !reasons->bytes.empty();
    for (size_t i = 0; reasons != nullptr && i < reasons->bytes.size(); ++i) {
      all_settled_before = all_settled_before && reasons->bytes[i] == static_cast<uint8_t>(Refusal::kAlreadySettled);
    }
    for (size_t i = 0; reasons != nullptr && i < reasons->bytes.size() && m.size() < 400; ++i) {
      auto r = static_cast<Refusal>(reasons->bytes[i]);
      std::string text = RefusalText(r);
      if (r == Refusal::kRouterNotStaked && receipts != nullptr && i < receipts->size()) {
        text = "the ticket's router " + (*receipts)[i].ticket.router.ToChecksumHex() + " has no stake (minimum " +
               min_router_stake.ToMor() + " MOR)";
      }
      m += "receipt " + std::to_string(i) + ": " + text + "; ";
    }
    return MakeError(all_settled_before ? Code::kAlreadyExists : Code::kFailedPrecondition, m);
  }
  if (n == "Reentrancy") return MakeError(Code::kFailedPrecondition, "reentrant call refused");
  if (n == "ZeroAmount") return InvalidArgument("amount must be positive");
  if (n == "AmountTooLarge") return InvalidArgument("amount " + Dec(a("amount")) + " does not fit in 96 bits");
  if (n == "InvalidModelName") {
    return InvalidArgument("model name '" + Str(a("name")) +
                           "' is invalid: it must be namespace/name, each part lower-case letters and digits "
                           "separated by '.', '_', '__' or dashes");
  }
  if (n == "InvalidTag") {
    return InvalidArgument("tag '" + Str(a("tag")) + "' is invalid: it must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  }
  if (n == "InvalidKind") return InvalidArgument("kind must be \"model\" or \"agent\", got \"" + Str(a("kind")) + "\"");
  if (n == "BuilderFeeTooHigh") {
    return InvalidArgument("builderFeeBps " + Dec(a("fee")) + " is above the maximum " + Dec(a("maximum")));
  }
  if (n == "ZeroManifest") return InvalidArgument("manifest must not be zero");
  if (n == "InvalidEndpoint") return InvalidArgument("endpoint must be 1 to 256 printable ASCII characters without spaces");
  if (n == "ZeroPrice") return InvalidArgument("pricePerSecond must be positive");
  if (n == "MinSecondsAboveCap") {
    return InvalidArgument("minSeconds " + Dec(a("minSeconds")) + " exceeds the ledger's cap of " + Dec(a("cap")) +
                           " (genesis params.max_min_seconds)");
  }
  if (n == "InvalidRole") return InvalidArgument("role must be \"router\" or \"provider\"");
  if (n == "EmptyBatch") return InvalidArgument("settle_batch has no receipts");
  if (n == "TooManyReceipts") {
    return MakeError(Code::kResourceExhausted, "receipts: at most " + Dec(a("maximum")) + " per batch");
  }
  if (n == "CountMismatch") {
    return InvalidArgument("settle_batch: count is " + Dec(a("count")) + " but " + Dec(a("receipts")) +
                           " receipts were sent");
  }
  if (n == "SupplyOverflow") return InvalidArgument("mint would overflow the total supply");
  if (n == "NamespaceOwned") {
    return MakeError(Code::kPermissionDenied,
                     "namespace '" + Str(a("namespace_")) + "' is owned by " + Addr(a("owner")));
  }
  if (n == "NotModelOwner") {
    return MakeError(Code::kPermissionDenied, "model '" + Str(a("name")) + "' is owned by " + Addr(a("owner")));
  }
  if (n == "NotMinter") return MakeError(Code::kPermissionDenied, "mint is allowed only to the genesis minter");
  if (n == "NotDeployer") return MakeError(Code::kPermissionDenied, "only the deployer may send genesis calls");
  if (n == "ModelNotFound") return NotFound("model '" + Str(a("name")) + "' is not registered");
  if (n == "ManifestNotRegistered") {
    return NotFound("manifest " + Hex(a("manifest")) + " is not tagged by any registered model");
  }
  if (n == "NotProvider") return NotFound(Addr(a("who")) + " is not a registered provider");
  if (n == "NoOfferToWithdraw") return NotFound("no offer for manifest " + Hex(a("manifest")) + " to withdraw");
  if (n == "ManifestTaken") {
    return MakeError(Code::kAlreadyExists,
                     "manifest " + Hex(a("manifest")) + " already belongs to model '" + Str(a("model")) + "'");
  }
  if (n == "NotLive") return MakeError(Code::kFailedPrecondition, "the contract's genesis is not sealed yet");
  if (n == "AlreadyLive") return MakeError(Code::kFailedPrecondition, "the contract's genesis is already sealed");
  if (n == "NotMintable") return MakeError(Code::kFailedPrecondition, "the contract may not mint its token");
  if (n == "TokenCallFailed") {
    const AbiValue* data = a("data");
    DecodedRevert inner = token_abi.DecodeRevert(data == nullptr ? ByteSpan() : ByteSpan(data->bytes));
    if (inner.name == "InsufficientBalance") {
      return MakeError(Code::kFailedPrecondition, "insufficient funds: the token balance holds " +
                                                      Mor(inner.Arg("have")) + " MOR, needs " + Mor(inner.Arg("need")) +
                                                      " MOR");
    }
    if (inner.name == "InsufficientAllowance") {
      return MakeError(Code::kFailedPrecondition, "the token allowance to the Compute Contract is " +
                                                      Mor(inner.Arg("have")) + " MOR, needs " + Mor(inner.Arg("need")) +
                                                      " MOR (approve it or use a permit)");
    }
    return MakeError(Code::kFailedPrecondition, "the token refused: " + inner.Describe());
  }
  if (n == "InvalidParams") return InvalidArgument("invalid contract parameters: " + Str(a("what")));
  return MakeError(Code::kFailedPrecondition, "the contract refused: " + d.Describe());
}

}  // namespace lt::evm
