// Fuzz target: the ledger's POST /tx body parser (both JSON forms), verification and apply on a
// small state, and the genesis parser. Nothing may crash, hang or abort; errors are values.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ledger/genesis.h"
#include "ledger/state.h"
#include "ledger/tx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lt::ledger;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const Genesis genesis = DevGenesis(100, 1'700'000'000, {});
  static const LedgerDomain domain = LedgerDomain::Make(genesis.chain_id, genesis.verifying_contract);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded()) {
    auto stx = ParseSignedTx(j, domain);
    if (stx.ok()) {
      (void)SignedTxToJson(*stx);
      auto v = VerifyTx(*stx, domain);
      if (v.ok()) {
        LedgerState s = LedgerState::FromGenesis(genesis);
        (void)s.Apply(*v, genesis.start_time);
      }
    }
    (void)ParseGenesis(j);
  }
  (void)ParseGenesisText(text);
  return 0;
}
