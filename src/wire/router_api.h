// The router's HTTP API as request and response values (doc/router.md "API"), shared by the
// router (server side) and by the client and provider libraries (which never link the router).
// Pure encoding: no I/O here; rpc/router_client.h has the HTTP client.
//
//   POST /rfc       RfcRequest      {"rfc":{RFC fields},"signature":"0x.."}     -> TicketGrant
//   POST /renew     RenewRequest    {"ticket":{..},"signature":"0x..(router)","userSignature":"0x.."}
//                                                                               -> TicketGrant
//   POST /receipts  Receipt         {"ticket":{..},"ticketSignature":"0x..","voucher":{..},
//                                    "voucherSignature":"0x.."}  (wire/receipt.h, one form everywhere)
//   POST /announce  SignedAnnounce  {"announce":{provider,http,roots,at},"signature":"0x.."}
// A renewal is signed by the user over the EIP-712 digest of the ticket being renewed.
// Announce(address provider,string http,string roots,uint64 at) is an EIP-712 message of the
// router API (not in DESIGN §2's list): roots are CIDs joined with ",".
// Parsers refuse missing, unknown or mistyped fields with a message naming the path (a Receipt
// ignores keys it does not know: a provider adds "cost" and "closeReason" for people).
// Thread-safety: plain values and pure functions.
#ifndef LT_WIRE_ROUTER_API_H_
#define LT_WIRE_ROUTER_API_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wire/handshake.h"
#include "wire/messages.h"
#include "wire/receipt.h"

namespace lt::wire {

struct RfcRequest {
  Rfc rfc;
  crypto::Signature signature{};
  nlohmann::json ToJson() const;
  static Result<RfcRequest> FromJson(const nlohmann::json& j);
  // A POST /rfc body as text: the plain form without a JSON tree (wire/json_text.h), anything
  // else through json::parse and FromJson, with the same result and errors.
  static Result<RfcRequest> Parse(std::string_view body);
  static Result<RfcRequest> ParseStrict(std::string_view body);  // always through nlohmann
  static RfcRequest Make(const Rfc& rfc, const crypto::PrivateKey& user, const Domain& d);
};

// A ticket granted by a router, with where to open the session.
struct TicketGrant {
  SignedTicket ticket;
  std::string endpoint;   // the provider's session endpoint host:port
  std::string model;      // the model as resolved ("ns/name:tag")
  nlohmann::json ToJson() const;
  // ToJson().dump(), given the ticket's JSON already made (wire::ToJson(ticket.ticket).dump()),
  // so a router that stores that JSON does not build it twice.
  std::string Dump(const std::string& ticket_json) const;
  static Result<TicketGrant> FromJson(const nlohmann::json& j);
};

struct RenewRequest {
  SignedTicket ticket;             // the ticket being renewed
  crypto::Signature user_sig{};    // by ticket.user over the ticket's EIP-712 digest
  nlohmann::json ToJson() const;
  static Result<RenewRequest> FromJson(const nlohmann::json& j);
  static RenewRequest Make(const SignedTicket& t, const crypto::PrivateKey& user, const Domain& d);
};

struct Announce {
  static constexpr std::string_view kTypeName = "Announce";
  crypto::Address provider;
  std::string http;   // liveness/status base URL, "http://host:port"
  std::string roots;  // CIDs joined with ","
  uint64_t at = 0;    // unix seconds
  template <typename S, typename V>
  static void Fields(S& s, V&& v) {
    v("provider", s.provider);
    v("http", s.http);
    v("roots", s.roots);
    v("at", s.at);
  }
  LT_WIRE_MESSAGE(Announce)
};

struct SignedAnnounce {
  Announce announce;
  crypto::Signature signature{};
  nlohmann::json ToJson() const;
  static Result<SignedAnnounce> FromJson(const nlohmann::json& j);
};

// A router's batched liveness check, POST <provider>/ping (doc/provider.md): {"challenges":
// ["0x<64 hex>", ...]} with 1 to kMaxPingChallenges entries. Parse reads the plain form without a
// JSON tree and anything else through nlohmann, with the same result and errors.
std::string PingChallengesBody(const std::vector<Hash32>& challenges);
Result<std::vector<Hash32>> ParsePingChallenges(std::string_view body);
Result<std::vector<Hash32>> ParsePingChallengesStrict(std::string_view body);  // always through nlohmann

}  // namespace lt::wire

#endif  // LT_WIRE_ROUTER_API_H_
