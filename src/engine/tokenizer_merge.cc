// The merge loops of the three tokenizer kinds (see tokenizer.h): run.c's for llama2.c files,
// llama.cpp's SentencePiece bigram merge and its byte-level BPE merge by rank.
#include <queue>
#include <map>

#include "engine/tokenizer.h"

namespace lt::engine {

std::vector<int> Tokenizer::EncodeLlama2c(std::string_view text, bool bos, bool eos) const {
  std::vector<int> tokens;
  tokens.reserve(text.size() + 3);
  if (bos) tokens.push_back(bos_);
  if (!text.empty()) {
    int dummy = Find(" ");
    if (dummy >= 0) tokens.push_back(dummy);
  }
  // One piece per UTF-8 code point (at most 4 bytes), byte fallback otherwise (run.c).
  std::string buf;
  for (size_t c = 0; c < text.size(); ++c) {
    unsigned char ch = static_cast<unsigned char>(text[c]);
    if ((ch & 0xC0) != 0x80) buf.clear();
    buf.push_back(static_cast<char>(ch));
    bool next_is_cont = c + 1 < text.size() && (static_cast<unsigned char>(text[c + 1]) & 0xC0) == 0x80;
    if (next_is_cont && buf.size() < 4) continue;
    int id = Find(buf);
    if (id >= 0) {
      tokens.push_back(id);
    } else {
      for (unsigned char byte : buf) tokens.push_back(static_cast<int>(byte) + 3);
    }
    buf.clear();
  }

  // Merges: always the best-scoring adjacent pair, leftmost on ties (run.c's strict '>').
  const size_t n = tokens.size();
  if (n < 2) {
    if (eos) tokens.push_back(eos_);
    return tokens;
  }
  std::vector<int> prev(n), next(n);
  std::vector<char> alive(n, 1);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<int>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int>(i + 1) : -1;
  }
  struct Cand {
    float score;
    int pos, left, right, merged;
  };
  auto worse = [](const Cand& a, const Cand& b) {
    if (a.score != b.score) return a.score < b.score;
    return a.pos > b.pos;
  };
  std::priority_queue<Cand, std::vector<Cand>, decltype(worse)> queue(worse);
  std::string cat;
  auto consider = [&](int i) {
    if (i < 0 || next[static_cast<size_t>(i)] < 0) return;
    int j = next[static_cast<size_t>(i)];
    cat = texts_[static_cast<size_t>(tokens[static_cast<size_t>(i)])];
    cat += texts_[static_cast<size_t>(tokens[static_cast<size_t>(j)])];
    int id = Find(cat);
    if (id < 0) return;
    float s = scores_[static_cast<size_t>(id)];
    if (!(s > -1e10f)) return;
    queue.push({s, i, tokens[static_cast<size_t>(i)], tokens[static_cast<size_t>(j)], id});
  };
  for (size_t i = 0; i + 1 < n; ++i) consider(static_cast<int>(i));
  while (!queue.empty()) {
    Cand c = queue.top();
    queue.pop();
    size_t i = static_cast<size_t>(c.pos);
    if (!alive[i] || next[i] < 0) continue;
    size_t j = static_cast<size_t>(next[i]);
    if (tokens[i] != c.left || tokens[j] != c.right) continue;
    tokens[i] = c.merged;
    alive[j] = 0;
    next[i] = next[j];
    if (next[j] >= 0) prev[static_cast<size_t>(next[j])] = static_cast<int>(i);
    consider(prev[i]);
    consider(static_cast<int>(i));
  }
  std::vector<int> out;
  out.reserve(n + 1);
  for (int i = 0; i >= 0; i = next[static_cast<size_t>(i)]) out.push_back(tokens[static_cast<size_t>(i)]);
  if (eos) out.push_back(eos_);
  return out;
}

namespace {

struct Symbol {
  int prev, next;
  size_t off, len;  // bytes of the text; len 0 once merged away
};

}  // namespace

// llama.cpp's llm_tokenizer_spm_session on text whose spaces are already "▁".
void Tokenizer::EncodeSpm(std::string_view text, std::vector<int>* out) const {
  std::vector<Symbol> sym;
  for (size_t off = 0; off < text.size();) {
    size_t len = std::min<size_t>(static_cast<size_t>(Utf8Length(static_cast<uint8_t>(text[off]))), text.size() - off);
    int i = static_cast<int>(sym.size());
    sym.push_back({i - 1, off + len == text.size() ? -1 : i + 1, off, len});
    off += len;
  }
  struct Bigram {
    int left, right;
    float score;
    size_t size;
  };
  auto worse = [](const Bigram& a, const Bigram& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(worse)> queue(worse);
  std::map<std::string, std::pair<int, int>, std::less<>> rev_merge;
  auto try_add = [&](int l, int r) {
    if (l < 0 || r < 0) return;
    std::string_view cat = text.substr(sym[static_cast<size_t>(l)].off, sym[static_cast<size_t>(l)].len + sym[static_cast<size_t>(r)].len);
    int id = Find(cat);
    if (id < 0) return;
    queue.push({l, r, scores_[static_cast<size_t>(id)], cat.size()});
    rev_merge[std::string(cat)] = {l, r};
  };
  for (int i = 1; i < static_cast<int>(sym.size()); ++i) try_add(i - 1, i);
  while (!queue.empty()) {
    Bigram b = queue.top();
    queue.pop();
    Symbol& l = sym[static_cast<size_t>(b.left)];
    Symbol& r = sym[static_cast<size_t>(b.right)];
    if (l.len == 0 || r.len == 0 || l.len + r.len != b.size) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) sym[static_cast<size_t>(r.next)].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }
  // Resegment: a symbol that is no token splits back along its merge, or into byte tokens.
  std::vector<std::pair<size_t, size_t>> stack;  // (off, len)
  for (int i = sym.empty() ? -1 : 0; i >= 0; i = sym[static_cast<size_t>(i)].next) {
    stack.assign(1, {sym[static_cast<size_t>(i)].off, sym[static_cast<size_t>(i)].len});
    while (!stack.empty()) {
      auto [off, len] = stack.back();
      stack.pop_back();
      std::string_view s = text.substr(off, len);
      int id = Find(s);
      if (id >= 0) {
        out->push_back(id);
        continue;
      }
      auto it = rev_merge.find(s);
      if (it == rev_merge.end()) {
        for (char c : s) out->push_back(ByteToken(static_cast<uint8_t>(c)));
        continue;
      }
      const Symbol& a = sym[static_cast<size_t>(it->second.first)];
      const Symbol& b = sym[static_cast<size_t>(it->second.second)];
      // The halves as they were when merged: the left starts at `off`, the right ends at off+len.
      size_t left_len = b.off - a.off;
      stack.push_back({off + left_len, len - left_len});
      stack.push_back({off, left_len});
    }
  }
}

int Tokenizer::MergeRank(std::string_view left, std::string_view right) const {
  std::string key;
  key.reserve(left.size() + right.size() + 1);
  key.append(left);
  key.push_back(' ');
  key.append(right);
  auto it = merge_rank_.find(key);
  return it == merge_rank_.end() ? -1 : it->second;
}

// llama.cpp's llm_tokenizer_bpe_session: pre-tokenize, map bytes to GPT-2 characters, merge the
// lowest-ranked pair first (leftmost on ties), tokens that are not in the vocabulary as bytes.
void Tokenizer::EncodeBpe(std::string_view text, std::vector<int>* out) const {
  for (const std::string& raw : PreTokenize(text, pre_)) {
    std::string word;
    for (char c : raw) word += ByteToBpeChar(static_cast<uint8_t>(c));
    if (ignore_merges_) {
      if (int id = Find(word); id >= 0) {
        out->push_back(id);
        continue;
      }
    }
    std::vector<Symbol> sym;
    for (size_t off = 0; off < word.size();) {
      size_t len = std::min<size_t>(static_cast<size_t>(Utf8Length(static_cast<uint8_t>(word[off]))), word.size() - off);
      int i = static_cast<int>(sym.size());
      sym.push_back({i - 1, off + len == word.size() ? -1 : i + 1, off, len});
      off += len;
    }
    struct Bigram {
      int left, right, rank;
      size_t size;
    };
    auto worse = [](const Bigram& a, const Bigram& b) {
      return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    };
    std::priority_queue<Bigram, std::vector<Bigram>, decltype(worse)> queue(worse);
    std::string_view w = word;
    auto add = [&](int l, int r) {
      if (l < 0 || r < 0) return;
      const Symbol& a = sym[static_cast<size_t>(l)];
      const Symbol& b = sym[static_cast<size_t>(r)];
      int rank = MergeRank(w.substr(a.off, a.len), w.substr(b.off, b.len));
      if (rank < 0) return;
      queue.push({l, r, rank, a.len + b.len});
    };
    for (int i = 1; i < static_cast<int>(sym.size()); ++i) add(i - 1, i);
    while (!queue.empty()) {
      Bigram b = queue.top();
      queue.pop();
      Symbol& l = sym[static_cast<size_t>(b.left)];
      Symbol& r = sym[static_cast<size_t>(b.right)];
      if (l.len == 0 || r.len == 0 || l.len + r.len != b.size || l.next != b.right) continue;
      l.len += r.len;
      r.len = 0;
      l.next = r.next;
      if (r.next >= 0) sym[static_cast<size_t>(r.next)].prev = b.left;
      add(l.prev, b.left);
      add(b.left, l.next);
    }
    for (int i = sym.empty() ? -1 : 0; i >= 0; i = sym[static_cast<size_t>(i)].next) {
      std::string_view s = w.substr(sym[static_cast<size_t>(i)].off, sym[static_cast<size_t>(i)].len);
      if (int id = Find(s); id >= 0) {
        out->push_back(id);
        continue;
      }
      // Not a token: one token per byte character (llama.cpp looks up each byte of the text).
      for (char c : s) {
        if (int id = Find(std::string_view(&c, 1)); id >= 0) out->push_back(id);
      }
    }
  }
}

}  // namespace lt::engine
