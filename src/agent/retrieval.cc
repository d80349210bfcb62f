#include "agent/retrieval.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

namespace lt::agent {

namespace {

const std::set<std::string>& StopWords() {
  static const std::set<std::string> kWords = {
      "a",    "an",   "and",  "are",  "as",   "at",  "be",   "by",   "can", "do",   "does", "for",  "from",
      "have", "how",  "i",    "in",   "into", "is",  "it",   "its",  "me",  "much", "my",   "of",   "on",
      "or",   "our",  "please", "should", "so", "that", "the", "their", "them", "there", "this", "to", "up",
      "want", "what", "when", "which", "who", "will", "with", "would", "you", "your", "all", "any", "some"};
  return kWords;
}

std::string Stem(std::string w) {
  auto ends = [&](std::string_view s) { return w.size() > s.size() + 2 && w.ends_with(s); };
  if (ends("ies")) {
    w.replace(w.size() - 3, 3, "y");
  } else if (ends("s") && !w.ends_with("ss")) {
    w.pop_back();
  }
  if (ends("ing")) {
    w.resize(w.size() - 3);
  } else if (ends("ed")) {
    w.resize(w.size() - 2);
  }
  return w;
}

}  // namespace

std::vector<std::string> Terms(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty() && !StopWords().count(cur)) out.push_back(Stem(cur));
    cur.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isalnum(c)) {
      // camelCase: a capital after a lower-case letter starts a word ("balanceOf" -> balance of).
      if (std::isupper(c) && !cur.empty() && std::islower(static_cast<unsigned char>(text[i - 1]))) flush();
      cur.push_back(static_cast<char>(std::tolower(c)));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

DocIndex DocIndex::Build(const TrustedSet& set) {
  DocIndex idx;
  idx.set_ = set;
  size_t total = 0;
  for (const auto& c : idx.set_.contracts()) {
    for (const auto& f : c.functions) {
      std::string text = c.name + " " + c.title + " " + c.about + " " + f.name + " " + f.name + " " + f.doc;
      for (const auto* p : f.AgentInputs()) text += " " + p->name;
      Doc d{&c, &f, {}, 0};
      for (auto& t : Terms(text)) {
        d.tf[t]++;
        d.length++;
      }
      for (const auto& [t, n] : d.tf) idx.df_[t]++;
      total += d.length;
      idx.docs_.push_back(std::move(d));
    }
  }
  idx.avg_length_ = idx.docs_.empty() ? 1 : static_cast<double>(total) / static_cast<double>(idx.docs_.size());
  return idx;
}

std::vector<RetrievalHit> DocIndex::Search(std::string_view query, size_t k) const {
  constexpr double k1 = 1.2, b = 0.75;
  std::vector<std::string> q = Terms(query);
  std::vector<RetrievalHit> hits;
  const double n = static_cast<double>(docs_.size());
  for (const auto& d : docs_) {
    double score = 0;
    for (const auto& t : q) {
      auto it = d.tf.find(t);
      if (it == d.tf.end()) continue;
      double df = df_.at(t);
      double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
      double tf = it->second;
      score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * static_cast<double>(d.length) / avg_length_));
    }
    if (score > 0) hits.push_back({d.contract, d.function, score});
  }
  std::stable_sort(hits.begin(), hits.end(), [](const RetrievalHit& x, const RetrievalHit& y) { return x.score > y.score; });
  if (hits.size() > k) hits.resize(k);
  return hits;
}

std::string RenderHits(const std::vector<RetrievalHit>& hits, const ChainBinding& chain) {
  std::string out;
  for (const auto& h : hits) {
    auto addr = chain.AddressOf(h.contract->name);
    out += "- " + h.contract->name + "." + h.function->name + "(";
    bool first = true;
    for (const auto* p : h.function->AgentInputs()) {
      if (!first) out += ", ";
      first = false;
      out += p->type.Canonical() + " " + p->name;
      if (h.function->units.count(p->name)) out += " [MOR, decimal]";
    }
    out += ")";
    out += h.function->read_only() ? " [read-only]" : " [transaction: use propose_transaction]";
    out += " on " + h.contract->title + " at " + (addr ? addr->ToChecksumHex() : std::string("(not on this chain)"));
    out += ": " + h.function->doc + "\n";
  }
  return out;
}

}  // namespace lt::agent
