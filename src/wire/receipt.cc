#include "wire/receipt.h"

namespace lt::wire {

using nlohmann::json;

json Receipt::ToJson() const {
  json j = {{"ticket", ticket.ticket.ToJson()},
            {"ticketSignature", HexEncode0x(ticket.router_sig)},
            {"voucher", voucher.voucher.ToJson()},
            {"voucherSignature", HexEncode0x(voucher.user_sig)}};
  if (provider_sig) j["providerSignature"] = HexEncode0x(*provider_sig);
  return j;
}

Result<Receipt> Receipt::FromJson(const json& j, std::string_view path) {
  const std::string p(path);
  if (!j.is_object()) return InvalidArgument(p + ": expected a JSON object");
  // Written before the one form: "ticketSig"/"voucherSig" (old spool files and peers).
  const bool legacy = !j.contains("ticketSignature") && j.contains("ticketSig");
  const char* ts = legacy ? "ticketSig" : "ticketSignature";
  const char* vs = legacy ? "voucherSig" : "voucherSignature";
  for (const char* k : {"ticket", ts, "voucher", vs}) {
    if (!j.contains(k)) return InvalidArgument(p + "." + k + ": missing");
  }
  Receipt r;
  LT_TRY(r.ticket.ticket, wire::FromJson<Ticket>(j["ticket"], p + ".ticket"));
  LT_TRY(r.voucher.voucher, wire::FromJson<Voucher>(j["voucher"], p + ".voucher"));
  for (auto [key, sig] : {std::pair{ts, &r.ticket.router_sig}, std::pair{vs, &r.voucher.user_sig}}) {
    if (!j[key].is_string()) return InvalidArgument(p + "." + key + ": expected a 0x signature string");
    auto s = crypto::ParseSignature(j[key].get<std::string>());
    if (!s.ok()) return s.error().Wrap(p + "." + key);
    *sig = *s;
  }
  if (j.contains("providerSignature")) {
    const json& ps = j["providerSignature"];
    if (!ps.is_string()) return InvalidArgument(p + ".providerSignature: expected a 0x signature string");
    auto s = crypto::ParseSignature(ps.get<std::string>());
    if (!s.ok()) return s.error().Wrap(p + ".providerSignature");
    r.provider_sig = *s;
  }
  return r;
}

crypto::Signature CountersignReceipt(const crypto::PrivateKey& provider, const Receipt& r, const Domain& domain) {
  return provider.Sign(wire::Digest(r.voucher.voucher, domain.separator()));
}

bool IsCountersignedByProvider(const Receipt& r, const Domain& domain) {
  if (!r.provider_sig) return false;
  auto who = crypto::Recover(wire::Digest(r.voucher.voucher, domain.separator()), *r.provider_sig);
  return who.ok() && *who == r.ticket.ticket.provider;
}

std::optional<SettleCode> CheckReceiptSignatures(const Receipt& r, const Hash32& domain_separator) {
  const Ticket& t = r.ticket.ticket;
  if (r.voucher.voucher.session_id != t.session_id) return SettleCode::kVoucherForAnotherSession;
  auto router = crypto::Recover(wire::Digest(t, domain_separator), r.ticket.router_sig);
  if (!router.ok() || *router != t.router) return SettleCode::kBadTicketSignature;
  auto user = crypto::Recover(wire::Digest(r.voucher.voucher, domain_separator), r.voucher.user_sig);
  if (!user.ok() || *user != t.user) return SettleCode::kBadVoucherSignature;
  return std::nullopt;
}

}  // namespace lt::wire
