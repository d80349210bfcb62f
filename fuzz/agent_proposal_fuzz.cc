// The agent's inputs from a model, the registry and files: propose_transaction arguments (a
// model's tool call) checked against the shipped trusted set and the chain binding, trusted-
// contract files themselves, and an agent manifest's `agent` object (fetched from a registry
// holder by `--agent NS/NAME`). First byte % 3 == 0: the rest is tool arguments; 1: a
// trusted-contract JSON file; 2: an agent object. None may crash, throw, or accept arguments
// that do not encode; an accepted agent object survives its own JSON round trip.
#include <cstddef>
#include <cstdint>

#include "agent/agent_spec.h"
#include "agent/proposal.h"
#include "util/json.h"

namespace {

struct World {
  lt::agent::TrustedSet set;
  lt::agent::ChainBinding chain;
  World() {
    auto s = lt::agent::TrustedSet::LoadEmbedded();
    if (!s.ok()) __builtin_trap();
    set = *s;
    lt::evm::Deployment d;
    d.chain_id = 31337;
    d.contract.bytes[19] = 0xc1;
    d.token.bytes[19] = 0xc2;
    chain = *lt::agent::Bind(set, 31337, &d);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  if (size < 1) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  nlohmann::json j = lt::ParseJson(text);
  if (j.is_discarded()) return 0;
  if (data[0] % 3 == 2) {
    auto spec = lt::agent::AgentSpec::FromJson(j);
    if (spec.ok()) {
      (void)spec->CheckAgainst(world.set);
      auto again = lt::agent::AgentSpec::FromJson(spec->ToJson());
      if (!again.ok() || again->ToJson() != spec->ToJson()) __builtin_trap();
    }
    return 0;
  }
  if (data[0] % 3 == 0) {
    auto p = lt::agent::ParseProposal(j, world.set, world.chain);
    if (p.ok()) {
      // An accepted proposal's own arguments always encode.
      std::vector<lt::evm::AbiType> types;
      std::vector<lt::evm::AbiValue> values;
      for (const auto& [name, v] : p->args) {
        for (const auto* in : p->function->AgentInputs()) {
          if (in->name == name) types.push_back(in->type);
        }
        values.push_back(v);
      }
      if (!lt::evm::AbiEncode(types, values).ok()) __builtin_trap();
      (void)p->DecodedArgs().dump();
    }
  } else {
    auto s = lt::agent::TrustedSet::FromJson({{"fuzz.json", j}});
    if (s.ok()) (void)lt::agent::Bind(*s, 1, nullptr);
  }
  return 0;
}
