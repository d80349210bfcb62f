// The one wording of "no such model" and "no such tag", with the names that do exist and the
// nearest one (util/near_match.h), used by the router (RFCs), the registry (pulls, pushes) and
// the CLI, so a user who mistypes a name or tag is told what to type instead.
// Thread-safety: pure functions.
#ifndef LT_LEDGER_MODEL_HINTS_H_
#define LT_LEDGER_MODEL_HINTS_H_

#include <string>
#include <vector>

#include "ledger/views.h"

namespace lt::ledger {

// "model 'demo/stories' has no tag '260' (tags: 260k, latest; did you mean '260k'?)".
std::string MissingTagMessage(const ModelInfo& model, const std::string& tag);
// "model 'demo/storys' is not registered on the ledger; did you mean 'demo/stories'?" (`known`:
// the ledger's models, empty when they could not be read).
std::string UnknownModelMessage(const std::string& name, const std::vector<ModelInfo>& known);

}  // namespace lt::ledger

#endif  // LT_LEDGER_MODEL_HINTS_H_
