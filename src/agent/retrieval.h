// Retrieval over the trusted contracts' docs (doc/agents.md "Retrieval"): an Okapi BM25 index
// (k1 = 1.2, b = 0.75) with one document per trusted function (contract name, title and about,
// the function's name split at camelCase, its doc and argument names). Words are lower-cased
// ASCII letters and digits, stop words dropped, and lightly stemmed (plural "s", "ing", "ed").
// No network, no model: the index is built in memory when the trusted set is loaded.
// Thread-safety: immutable after Build; Search may be called from any thread.
#ifndef LT_AGENT_RETRIEVAL_H_
#define LT_AGENT_RETRIEVAL_H_

#include <map>
#include <string>
#include <vector>

#include "agent/trusted.h"

namespace lt::agent {

// Lower-cased, stop words removed, stemmed words of `text` (camelCase is split first).
std::vector<std::string> Terms(std::string_view text);

struct RetrievalHit {
  const TrustedContract* contract = nullptr;
  const TrustedFunction* function = nullptr;
  double score = 0;
};

class DocIndex {
 public:
  static DocIndex Build(const TrustedSet& set);
  // The best `k` documents with a positive score, best first (ties by contract, then function).
  std::vector<RetrievalHit> Search(std::string_view query, size_t k = 3) const;
  size_t size() const { return docs_.size(); }

 private:
  struct Doc {
    const TrustedContract* contract;
    const TrustedFunction* function;
    std::map<std::string, int> tf;
    size_t length = 0;
  };
  TrustedSet set_;  // keeps the contracts the hits point to alive
  std::vector<Doc> docs_;
  std::map<std::string, int> df_;
  double avg_length_ = 0;
};

// The top hits as text for the agent's context: contract, address on the chain, function
// signature of the agent's arguments, doc.
std::string RenderHits(const std::vector<RetrievalHit>& hits, const ChainBinding& chain);

}  // namespace lt::agent

#endif  // LT_AGENT_RETRIEVAL_H_
