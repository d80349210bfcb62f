// The devnet showcase: a few chats (through the user's local OpenAI API, or with hand-signed
// tickets when this build has none), settlement, a day closing, claims by providers and the
// builder, then a plain-words summary read from the ledger (ledger::RemoteLedger: txs, stats,
// accounts).
// The summary is also written to D/showcase.json (doc/devnet.md). Prompts and answers are
// printed on the terminal only, never written to a file.
// Thread-safety: the devnet's thread. Errors: the first step that failed.
#ifndef LT_DEVNET_SHOWCASE_H_
#define LT_DEVNET_SHOWCASE_H_

#include <nlohmann/json.hpp>

#include "devnet/devnet.h"

namespace lt::devnet {

Status RunShowcase(Devnet& d);

// Sums the settle_batch outcomes of a ledger's tx log: sessions, billed seconds,
// cost, from_allowance, from_vault, from_router_stake, builder_fee (base units, decimal).
Result<nlohmann::json> SettlementTotals(const std::string& ledger_url);

}  // namespace lt::devnet

#endif  // LT_DEVNET_SHOWCASE_H_
