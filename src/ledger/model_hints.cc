#include "ledger/model_hints.h"

#include "util/near_match.h"

namespace lt::ledger {

std::string MissingTagMessage(const ModelInfo& model, const std::string& tag) {
  std::vector<std::string> tags;
  std::string list;
  for (const auto& entry : model.tags) {
    tags.push_back(entry.first);
    list += (list.empty() ? "" : ", ") + entry.first;
  }
  std::string out = "model '" + model.name + "' has no tag '" + tag.substr(0, 100) + "'";
  if (tags.empty()) return out + " (no tags yet)";
  return out + " (tags: " + list + DidYouMean(tag, tags) + ")";
}

std::string UnknownModelMessage(const std::string& name, const std::vector<ModelInfo>& known) {
  std::vector<std::string> names;
  for (const auto& m : known) names.push_back(m.name);
  return "model '" + name.substr(0, 300) + "' is not registered on the ledger" + DidYouMean(name, names);
}

}  // namespace lt::ledger
