#include "wire/router_api.h"

#include "wire/json_text.h"
#include "util/json.h"

namespace lt::wire {

using nlohmann::json;

namespace {

Status CheckKeys(const json& j, const std::string& what, std::initializer_list<const char*> required,
                 std::initializer_list<const char*> optional = {}) {
  if (!j.is_object()) return InvalidArgument(what + ": expected a JSON object");
  for (const char* k : required) {
    if (!j.contains(k)) return InvalidArgument(what + "." + k + ": missing");
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* k : required) known = known || it.key() == k;
    for (const char* k : optional) known = known || it.key() == k;
    if (!known) return InvalidArgument(what + "." + it.key().substr(0, 64) + ": unknown field");
  }
  return OkStatus();
}

Result<crypto::Signature> Sig(const json& j, const std::string& path) {
  if (!j.is_string()) return InvalidArgument(path + ": expected 0x + 130 hex digits");
  auto s = crypto::ParseSignature(j.get<std::string>());
  if (!s.ok()) return InvalidArgument(path + ": " + s.error().message);
  return *s;
}

}  // namespace

json RfcRequest::ToJson() const { return {{"rfc", rfc.ToJson()}, {"signature", HexEncode0x(signature)}}; }

Result<RfcRequest> RfcRequest::FromJson(const json& j) {
  LT_TRY_STATUS(CheckKeys(j, "body", {"rfc", "signature"}));
  RfcRequest r;
  LT_TRY(r.rfc, wire::FromJson<Rfc>(j["rfc"], "rfc"));
  LT_TRY(r.signature, Sig(j["signature"], "signature"));
  return r;
}

Result<RfcRequest> RfcRequest::Parse(std::string_view body) {
  json_text::Reader r(body);
  RfcRequest req;
  bool have_rfc = false, have_sig = false;
  bool plain = r.Object([&](std::string_view key) {
    if (key == "rfc" && !have_rfc) {
      have_rfc = true;
      return json_text::ReadMessage(r, &req.rfc);
    }
    if (key == "signature" && !have_sig) {
      have_sig = true;
      return json_text::ReadSignature(r, &req.signature);
    }
    return false;
  });
  if (plain && have_rfc && have_sig && r.AtEnd()) return req;
  return ParseStrict(body);
}

Result<RfcRequest> RfcRequest::ParseStrict(std::string_view body) {
  json j = ParseJson(body);
  if (j.is_discarded()) return InvalidArgument("request body is not valid JSON");
  return FromJson(j);
}

RfcRequest RfcRequest::Make(const Rfc& rfc, const crypto::PrivateKey& user, const Domain& d) {
  return RfcRequest{rfc, rfc.Sign(user, d)};
}

json TicketGrant::ToJson() const {
  return {{"ticket", ticket.ticket.ToJson()},
          {"signature", HexEncode0x(ticket.router_sig)},
          {"endpoint", endpoint},
          {"model", model}};
}

std::string TicketGrant::Dump(const std::string& ticket_json) const {
  // The keys in ToJson's (sorted) order.
  std::string out;
  out.reserve(ticket_json.size() + endpoint.size() + model.size() + 200);
  out += "{\"endpoint\":";
  json_text::AppendString(endpoint, &out);
  out += ",\"model\":";
  json_text::AppendString(model, &out);
  out += ",\"signature\":\"";
  out += HexEncode0x(ticket.router_sig);
  out += "\",\"ticket\":";
  out += ticket_json;
  out += '}';
  return out;
}

Result<TicketGrant> TicketGrant::FromJson(const json& j) {
  LT_TRY_STATUS(CheckKeys(j, "grant", {"ticket", "signature", "endpoint"}, {"model"}));
  TicketGrant g;
  LT_TRY(g.ticket.ticket, wire::FromJson<Ticket>(j["ticket"], "ticket"));
  LT_TRY(g.ticket.router_sig, Sig(j["signature"], "signature"));
  if (!j["endpoint"].is_string()) return InvalidArgument("grant.endpoint: expected a string");
  g.endpoint = j["endpoint"].get<std::string>();
  if (j.contains("model")) {
    if (!j["model"].is_string()) return InvalidArgument("grant.model: expected a string");
    g.model = j["model"].get<std::string>();
  }
  return g;
}

json RenewRequest::ToJson() const {
  return {{"ticket", ticket.ticket.ToJson()},
          {"signature", HexEncode0x(ticket.router_sig)},
          {"userSignature", HexEncode0x(user_sig)}};
}

Result<RenewRequest> RenewRequest::FromJson(const json& j) {
  LT_TRY_STATUS(CheckKeys(j, "body", {"ticket", "signature", "userSignature"}));
  RenewRequest r;
  LT_TRY(r.ticket.ticket, wire::FromJson<Ticket>(j["ticket"], "ticket"));
  LT_TRY(r.ticket.router_sig, Sig(j["signature"], "signature"));
  LT_TRY(r.user_sig, Sig(j["userSignature"], "userSignature"));
  return r;
}

RenewRequest RenewRequest::Make(const SignedTicket& t, const crypto::PrivateKey& user, const Domain& d) {
  return RenewRequest{t, t.ticket.Sign(user, d)};
}

json SignedAnnounce::ToJson() const { return {{"announce", announce.ToJson()}, {"signature", HexEncode0x(signature)}}; }

Result<SignedAnnounce> SignedAnnounce::FromJson(const json& j) {
  LT_TRY_STATUS(CheckKeys(j, "body", {"announce", "signature"}));
  SignedAnnounce a;
  LT_TRY(a.announce, wire::FromJson<Announce>(j["announce"], "announce"));
  LT_TRY(a.signature, Sig(j["signature"], "signature"));
  return a;
}

std::string PingChallengesBody(const std::vector<Hash32>& challenges) {
  std::string out = "{\"challenges\":[";
  for (size_t k = 0; k < challenges.size(); ++k) {
    if (k > 0) out += ',';
    out += '"';
    out += HexEncode0x(challenges[k]);
    out += '"';
  }
  out += "]}";
  return out;
}

Result<std::vector<Hash32>> ParsePingChallenges(std::string_view body) {
  std::vector<Hash32> out;
  json_text::Reader r(body);
  bool have_list = false;
  bool plain = r.Object([&](std::string_view key) {
    if (key != "challenges" || have_list) return false;
    have_list = true;
    return r.Array([&] {
      std::string_view hex;
      if (out.size() >= kMaxPingChallenges || !r.PlainString(&hex)) return false;
      auto ch = HexDecodeFixed<32>(hex);
      if (ch.ok()) out.push_back(*ch);
      return ch.ok();
    });
  });
  if (plain && have_list && !out.empty() && r.AtEnd()) return out;
  return ParsePingChallengesStrict(body);
}

Result<std::vector<Hash32>> ParsePingChallengesStrict(std::string_view body) {
  std::vector<Hash32> out;
  json j = ParseJson(body);
  const json* list = j.is_object() && j.contains("challenges") ? &j["challenges"] : nullptr;
  if (list == nullptr || !list->is_array() || list->empty() || list->size() > kMaxPingChallenges) {
    return InvalidArgument("expected {\"challenges\":[\"0x<64 hex>\", ...]} with 1 to " +
                           std::to_string(kMaxPingChallenges) + " challenges");
  }
  for (size_t k = 0; k < list->size(); ++k) {
    auto ch = (*list)[k].is_string() ? HexDecodeFixed<32>((*list)[k].get<std::string>())
                                     : Result<Hash32>(InvalidArgument("not a string"));
    if (!ch.ok()) {
      return InvalidArgument("challenges[" + std::to_string(k) + "] must be 0x + 64 hex digits: " + ch.error().message);
    }
    out.push_back(*ch);
  }
  return out;
}

}  // namespace lt::wire
