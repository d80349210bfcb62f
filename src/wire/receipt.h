// A session's receipt, in one shape for every role (DESIGN §3, §5.7, §6; doc/wire.md
// "Receipts"): the ticket with its router's signature and the best voucher the user signed for
// the session. The provider builds it, the router and the ledger settle it, the EVM contract
// checks it on chain; all read and write this one type and this one JSON form:
//
//   {"ticket":{...},"ticketSignature":"0x..","voucher":{...},"voucherSignature":"0x.."}
//
// A receipt a provider submits to a router also carries "providerSignature": the ticket's
// provider's signature over the voucher's EIP-712 digest (CountersignReceipt). A router takes a
// receipt only so countersigned: the user holds every voucher it signed, and could otherwise post
// its own earliest one first and have the session settled at it (doc/router.md "POST /receipts").
// The ledger and the contract do not read it (they take receipts only from the ticket's router or
// provider).
//
// FromJson reads those keys and ignores others (a spool line carries "spooledAt", a
// provider's log the cost); it also reads the spelling "ticketSig"/"voucherSig" written before
// this form (old spool files, older peers). What a receipt costs is wire/billing.h; how a settlement went for it
// is wire/settle.h.
// Thread-safety: plain values.
#ifndef LT_WIRE_RECEIPT_H_
#define LT_WIRE_RECEIPT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "wire/handshake.h"
#include "wire/settle.h"

namespace lt::wire {

struct Receipt {
  SignedTicket ticket;
  SignedVoucher voucher;
  std::optional<crypto::Signature> provider_sig;  // "providerSignature", when countersigned

  const Hash32& session_id() const { return ticket.ticket.session_id; }
  nlohmann::json ToJson() const;
  static Result<Receipt> FromJson(const nlohmann::json& j, std::string_view path = "receipt");
};

// The signature checks every party makes before anything else, in this order: the voucher is
// for the ticket's session, the ticket is signed by its router, the voucher by the ticket's user.
// nullopt when all hold, else the first failed check's code (two recoveries per receipt).
std::optional<SettleCode> CheckReceiptSignatures(const Receipt& r, const Hash32& domain_separator);
inline std::optional<SettleCode> CheckReceiptSignatures(const Receipt& r, const Domain& domain) {
  return CheckReceiptSignatures(r, domain.separator());
}

// The provider's countersignature of the receipt: its signature over the voucher's digest.
crypto::Signature CountersignReceipt(const crypto::PrivateKey& provider, const Receipt& r, const Domain& domain);
// Whether r carries a countersignature by r's ticket's provider.
bool IsCountersignedByProvider(const Receipt& r, const Domain& domain);

}  // namespace lt::wire

#endif  // LT_WIRE_RECEIPT_H_
