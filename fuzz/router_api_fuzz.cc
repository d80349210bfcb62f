// Fuzz target: the router API body parsers (wire/router_api.h: RFC, renew, receipt, announce and
// ticket-grant bodies), the Pong answer parser (router/liveness.h) and the ledger endpoint
// splitter (router/providers.h), on arbitrary bytes as POST /rfc, /renew, /receipts, /announce,
// a client reading a grant, and the router reading a provider's /ping would see them.
//
// Invariants checked beyond "no crash, no hang": a body that parses re-encodes (ToJson) to a body
// that parses again to the same encoding, so what the router stores or forwards is what it
// accepted.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "router/liveness.h"
#include "router/providers.h"
#include "wire/router_api.h"

namespace {

template <typename T>
void RoundTrip(const nlohmann::json& j) {
  auto v = T::FromJson(j);
  if (!v.ok()) return;
  std::string once = v->ToJson().dump();
  auto again = T::FromJson(nlohmann::json::parse(once, nullptr, false));
  if (!again.ok() || again->ToJson().dump() != once) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (256 << 10)) return 0;  // the router refuses bigger bodies before parsing
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)lt::router::ParsePongReply(text);
  if (size < 256) {
    auto e = lt::router::ParseProviderEndpoint(text);
    if (e.ok() && (e->session.empty() || e->http.rfind("http://", 0) != 0)) __builtin_trap();
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  RoundTrip<lt::wire::RfcRequest>(j);
  RoundTrip<lt::wire::RenewRequest>(j);
  RoundTrip<lt::wire::Receipt>(j);
  RoundTrip<lt::wire::SignedAnnounce>(j);
  RoundTrip<lt::wire::TicketGrant>(j);
  return 0;
}
