// The typed read views (ledger/views.h) of a LedgerState (internal to the ledger library).
// Thread-safety: callers hold the ledger's reader lock.
#ifndef LT_LEDGER_STATE_VIEWS_H_
#define LT_LEDGER_STATE_VIEWS_H_

#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/state.h"

namespace lt::ledger {

AccountInfo AccountView(const LedgerState& s, const crypto::Address& a);
std::vector<ModelInfo> ModelsView(const LedgerState& s);
Result<ModelInfo> ModelView(const LedgerState& s, const std::string& name);
std::vector<ProviderInfo> ProvidersView(const LedgerState& s);
// `now` is the ledger clock: the view says whether the open day has ended and awaits closing.
DayInfo DayView(const LedgerState& s, uint64_t now);
StatsInfo StatsView(const LedgerState& s, uint64_t tx_log_size);

}  // namespace lt::ledger

#endif  // LT_LEDGER_STATE_VIEWS_H_
