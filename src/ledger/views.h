// Read views of a LedgerState as the JSON objects of the HTTP API (internal; shapes in
// doc/ledger.md "HTTP API"). Thread-safety: callers hold the ledger's reader lock.
#ifndef LT_LEDGER_VIEWS_H_
#define LT_LEDGER_VIEWS_H_

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/ledger.h"
#include "ledger/state.h"

namespace lt::ledger {

AccountInfo AccountView(const LedgerState& s, const crypto::Address& a);
nlohmann::json ModelsView(const LedgerState& s);
Result<nlohmann::json> ModelView(const LedgerState& s, const std::string& name);
nlohmann::json ProvidersView(const LedgerState& s);
// `now` is the ledger clock: the view says whether the open day has ended and awaits closing.
nlohmann::json DayView(const LedgerState& s, uint64_t now);
nlohmann::json StatsView(const LedgerState& s, uint64_t tx_log_size);

}  // namespace lt::ledger

#endif  // LT_LEDGER_VIEWS_H_
