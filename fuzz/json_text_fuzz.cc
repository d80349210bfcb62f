// Fuzz target: the hot path's JSON without a tree (wire/json_text.h) against the strict
// nlohmann path it stands in for, on arbitrary bytes as POST /rfc, a provider's batched Pong
// answer and a router's POST /ping body.
//
// Invariants beyond "no crash, no hang": each fast parser gives exactly the strict parser's
// answer (the same values, or the same error message), and a ticket or RFC the strict path
// accepts is written by AppendMessage as JSON equal to its ToJson.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "router/liveness.h"
#include "wire/json_text.h"
#include "wire/router_api.h"

namespace {

std::string Describe(const lt::Result<lt::wire::RfcRequest>& r) {
  return r.ok() ? r->ToJson().dump() : "error " + r.error().message;
}

std::string Describe(const std::vector<lt::Result<lt::router::PongReply>>& rs) {
  std::string out;
  for (const auto& r : rs) {
    out += r.ok() ? r->pong.ToJson().dump() + lt::HexEncode0x(r->signature) : "error " + r.error().message;
    out += ';';
  }
  return out;
}

template <typename M>
void WritesLikeToJson(const nlohmann::json& j) {
  auto m = lt::wire::FromJson<M>(j);
  if (!m.ok()) return;
  if (nlohmann::json::parse(lt::wire::json_text::DumpMessage(*m), nullptr, false) != m->ToJson()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (256 << 10)) return 0;  // the router refuses bigger bodies before parsing
  std::string text(reinterpret_cast<const char*>(data), size);
  if (Describe(lt::wire::RfcRequest::Parse(text)) != Describe(lt::wire::RfcRequest::ParseStrict(text))) {
    __builtin_trap();
  }
  for (size_t n = 1; n <= 3; ++n) {
    if (Describe(lt::router::ParsePongBatch(text, n)) != Describe(lt::router::ParsePongBatchStrict(text, n))) {
      __builtin_trap();
    }
  }
  auto fast = lt::wire::ParsePingChallenges(text);
  auto strict = lt::wire::ParsePingChallengesStrict(text);
  if (fast.ok() != strict.ok() || (fast.ok() ? *fast != *strict : fast.error().message != strict.error().message)) {
    __builtin_trap();
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object()) {
    WritesLikeToJson<lt::wire::Rfc>(j.contains("rfc") ? j["rfc"] : j);
    WritesLikeToJson<lt::wire::Ticket>(j);
    WritesLikeToJson<lt::wire::Pong>(j);
  }
  return 0;
}
