#include "engine/tokenizer.h"

#include <cctype>
#include <cstring>
#include <queue>

#include "util/fs.h"

namespace lt::engine {

namespace {

struct ByteTable {
  char bytes[256];
  ByteTable() {
    for (int i = 0; i < 256; ++i) bytes[i] = static_cast<char>(i);
  }
};
const ByteTable kByteTable;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "<0xNN>" -> NN, else -1.
int BytePieceValue(std::string_view p) {
  if (p.size() != 6 || p[0] != '<' || p[1] != '0' || p[2] != 'x' || p[5] != '>') return -1;
  int hi = HexDigit(p[3]), lo = HexDigit(p[4]);
  if (hi < 0 || lo < 0) return -1;
  return hi * 16 + lo;
}

}  // namespace

void Tokenizer::Index() {
  index_.clear();
  index_.reserve(pieces_.size() * 2);
  byte_piece_.assign(pieces_.size(), -1);
  max_token_length_ = 0;
  for (size_t i = 0; i < pieces_.size(); ++i) {
    index_.emplace(std::string_view(pieces_[i]), static_cast<int>(i));  // keeps the lowest id
    byte_piece_[i] = BytePieceValue(pieces_[i]);
    max_token_length_ = std::max(max_token_length_, static_cast<int>(pieces_[i].size()));
  }
}

Result<Tokenizer> Tokenizer::FromPieces(std::vector<std::string> pieces, std::vector<float> scores, int bos_id,
                                        int eos_id) {
  if (pieces.empty()) return Corrupt("tokenizer has no pieces");
  if (scores.size() != pieces.size()) {
    return Corrupt("tokenizer has " + std::to_string(pieces.size()) + " pieces but " +
                   std::to_string(scores.size()) + " scores");
  }
  int n = static_cast<int>(pieces.size());
  if (bos_id < 0 || bos_id >= n || eos_id < 0 || eos_id >= n) {
    return Corrupt("tokenizer bos/eos ids (" + std::to_string(bos_id) + ", " + std::to_string(eos_id) +
                   ") outside the vocabulary of " + std::to_string(n));
  }
  Tokenizer t;
  t.pieces_ = std::move(pieces);
  t.scores_ = std::move(scores);
  t.bos_id_ = bos_id;
  t.eos_id_ = eos_id;
  t.Index();
  return t;
}

Result<Tokenizer> Tokenizer::ParseLlama2c(std::string_view b, int vocab_size, const std::string& what) {
  if (vocab_size <= 0) return InvalidArgument(what + ": vocabulary size must be positive");
  size_t off = 0;
  auto need = [&](size_t n, const char* field, int id) -> Status {
    if (b.size() - off < n) {
      return Corrupt(what + ": truncated tokenizer file (" + field + " of token " + std::to_string(id) +
                     " needs " + std::to_string(n) + " bytes at offset " + std::to_string(off) + ", file has " +
                     std::to_string(b.size()) + ")");
    }
    return OkStatus();
  };
  int32_t max_len;
  LT_TRY_STATUS(need(4, "header", -1));
  std::memcpy(&max_len, b.data(), 4);
  off = 4;
  if (max_len <= 0 || max_len > 1 << 16) {
    return Corrupt(what + ": not a llama2.c tokenizer (max_token_length " + std::to_string(max_len) + ")");
  }
  std::vector<std::string> pieces;
  std::vector<float> scores;
  pieces.reserve(static_cast<size_t>(vocab_size));
  scores.reserve(static_cast<size_t>(vocab_size));
  for (int i = 0; i < vocab_size; ++i) {
    float score;
    int32_t len;
    LT_TRY_STATUS(need(8, "score and length", i));
    std::memcpy(&score, b.data() + off, 4);
    std::memcpy(&len, b.data() + off + 4, 4);
    off += 8;
    if (len < 0 || len > max_len) {
      return Corrupt(what + ": token " + std::to_string(i) + " has length " + std::to_string(len) +
                     " outside 0.." + std::to_string(max_len));
    }
    LT_TRY_STATUS(need(static_cast<size_t>(len), "bytes", i));
    pieces.emplace_back(b.substr(off, static_cast<size_t>(len)));
    scores.push_back(score);
    off += static_cast<size_t>(len);
  }
  if (off != b.size()) {
    return Corrupt(what + ": " + std::to_string(b.size() - off) + " unexpected bytes after " +
                   std::to_string(vocab_size) + " tokens (tokenizer for another vocabulary size?)");
  }
  return FromPieces(std::move(pieces), std::move(scores), 1, 2);
}

Result<Tokenizer> Tokenizer::LoadLlama2c(const std::string& path, int vocab_size) {
  LT_TRY(std::string bytes, RealFileSystem::Default()->ReadFile(path, 64u << 20));
  return ParseLlama2c(bytes, vocab_size, path);
}

int Tokenizer::Find(std::string_view piece) const {
  auto it = index_.find(piece);
  return it == index_.end() ? -1 : it->second;
}

std::vector<int> Tokenizer::Encode(std::string_view text, bool bos, bool eos) const {
  std::vector<int> tokens;
  tokens.reserve(text.size() + 3);
  if (bos) tokens.push_back(bos_id_);
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
    if (eos) tokens.push_back(eos_id_);
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
    cat = pieces_[static_cast<size_t>(tokens[static_cast<size_t>(i)])];
    cat += pieces_[static_cast<size_t>(tokens[static_cast<size_t>(j)])];
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
  if (eos) out.push_back(eos_id_);
  return out;
}

std::string_view Tokenizer::Decode(int prev, int token) const {
  if (token < 0 || token >= vocab_size()) return {};
  std::string_view p = pieces_[static_cast<size_t>(token)];
  if (prev == bos_id_ && !p.empty() && p[0] == ' ') p.remove_prefix(1);
  int byte = byte_piece_[static_cast<size_t>(token)];
  if (byte >= 0) return std::string_view(&kByteTable.bytes[byte], 1);
  return p;
}

std::string_view Tokenizer::SafePiece(std::string_view piece) {
  if (piece.empty()) return {};
  if (piece.size() == 1) {
    int c = static_cast<unsigned char>(piece[0]);
    if (!(std::isprint(c) || std::isspace(c))) return {};
  }
  return piece;
}

}  // namespace lt::engine
