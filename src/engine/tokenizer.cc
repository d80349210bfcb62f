#include "engine/tokenizer.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <queue>

#include "util/fs.h"

namespace lt::engine {

namespace {

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

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  size_t p = 0;
  while ((p = s.find(from, p)) != std::string::npos) {
    s.replace(p, from.size(), to);
    p += to.size();
  }
  return s;
}

constexpr std::string_view kSpmSpace = "\xE2\x96\x81";  // U+2581

// Texts llama.cpp treats as end of generation whatever the metadata says (a subset of its list:
// the ones of the families we serve).
constexpr std::string_view kEogTexts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                          "</s>", "<|eom_id|>", "<EOT>", "<|end_of_text|>"};
constexpr std::string_view kEotTexts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                          "<|end_of_text|>", "<EOT>"};

}  // namespace

void Tokenizer::Index() {
  index_.clear();
  index_.reserve(texts_.size() * 2);
  max_token_length_ = 0;
  for (size_t i = 0; i < texts_.size(); ++i) {
    index_.emplace(std::string_view(texts_[i]), static_cast<int>(i));  // keeps the lowest id
    max_token_length_ = std::max(max_token_length_, static_cast<int>(texts_[i].size()));
  }
  std::fill(std::begin(byte_tokens_), std::end(byte_tokens_), -1);
  pieces_.assign(texts_.size(), std::string());
  for (size_t i = 0; i < texts_.size(); ++i) {
    const std::string& t = texts_[i];
    const TokenType ty = types_[i];
    if (kind_ == TokenizerKind::kLlama2c) {
      int b = BytePieceValue(t);
      pieces_[i] = b >= 0 ? std::string(1, static_cast<char>(b)) : t;
      if (b >= 0 && byte_tokens_[b] < 0) byte_tokens_[b] = static_cast<int>(i);
      continue;
    }
    if (ty == TokenType::kControl || ty == TokenType::kUnknown || ty == TokenType::kUnused) continue;
    if (kind_ == TokenizerKind::kSpm) {
      int b = BytePieceValue(t);
      if (ty == TokenType::kByte && b >= 0) {
        pieces_[i] = std::string(1, static_cast<char>(b));
        if (byte_tokens_[b] < 0) byte_tokens_[b] = static_cast<int>(i);
      } else {
        pieces_[i] = ReplaceAll(t, kSpmSpace, " ");
      }
      continue;
    }
    // Byte-level BPE: every character of a normal token is one byte.
    if (ty == TokenType::kUserDefined) {
      pieces_[i] = t;
      continue;
    }
    std::string out;
    for (uint32_t cp : Utf8ToCodepoints(t)) {
      int b = BpeCharToByte(cp);
      if (b >= 0) out.push_back(static_cast<char>(b));
      else AppendUtf8(cp, &out);
    }
    pieces_[i] = std::move(out);
    std::vector<uint32_t> cps = Utf8ToCodepoints(t);
    if (cps.size() == 1) {
      int b = BpeCharToByte(cps[0]);
      if (b >= 0 && byte_tokens_[b] < 0) byte_tokens_[b] = static_cast<int>(i);
    }
  }
  // Special tokens matched in text, longest first (llama.cpp's cache_special_tokens).
  special_.clear();
  if (kind_ != TokenizerKind::kLlama2c) {
    for (size_t i = 0; i < texts_.size(); ++i) {
      TokenType ty = types_[i];
      if ((ty == TokenType::kControl || ty == TokenType::kUserDefined || ty == TokenType::kUnknown) && !texts_[i].empty()) {
        special_.push_back(static_cast<int>(i));
      }
    }
    std::stable_sort(special_.begin(), special_.end(),
                     [this](int a, int b) { return texts_[static_cast<size_t>(a)].size() > texts_[static_cast<size_t>(b)].size(); });
  }
  // End of generation.
  is_eog_.assign(texts_.size(), 0);
  eog_.clear();
  auto mark = [this](int id) {
    if (id >= 0 && id < vocab_size() && !is_eog_[static_cast<size_t>(id)]) {
      is_eog_[static_cast<size_t>(id)] = 1;
      eog_.push_back(id);
    }
  };
  mark(eos_);
  if (kind_ != TokenizerKind::kLlama2c) {
    if (eot_ < 0) {
      for (std::string_view t : kEotTexts) {
        if (int id = Find(t); id >= 0) {
          eot_ = id;
          break;
        }
      }
    }
    if (eom_ < 0) eom_ = Find("<|eom_id|>");
    mark(eot_);
    mark(eom_);
    for (std::string_view t : kEogTexts) mark(Find(t));
  }
  std::sort(eog_.begin(), eog_.end());
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
  t.kind_ = TokenizerKind::kLlama2c;
  t.texts_ = std::move(pieces);
  t.scores_ = std::move(scores);
  t.types_.assign(t.texts_.size(), TokenType::kNormal);
  t.bos_ = bos_id;
  t.eos_ = eos_id;
  t.model_name_ = "llama2.c";
  t.Index();
  return t;
}

Result<Tokenizer> Tokenizer::FromVocab(VocabSpec s) {
  const size_t n = s.tokens.size();
  if (n == 0 || n > (1u << 21)) return Corrupt("tokenizer vocabulary size " + std::to_string(n) + " out of range");
  if (!s.scores.empty() && s.scores.size() != n) {
    return Corrupt("tokenizer has " + std::to_string(n) + " tokens but " + std::to_string(s.scores.size()) + " scores");
  }
  if (!s.types.empty() && s.types.size() != n) {
    return Corrupt("tokenizer has " + std::to_string(n) + " tokens but " + std::to_string(s.types.size()) + " token types");
  }
  const int vn = static_cast<int>(n);
  for (auto [name, id] : {std::pair<const char*, int>{"bos", s.bos}, {"eos", s.eos}, {"eot", s.eot}, {"eom", s.eom},
                          {"unknown", s.unk}, {"padding", s.pad}}) {
    if (id < -1 || id >= vn) {
      return Corrupt(std::string("tokenizer ") + name + " token id " + std::to_string(id) + " outside the vocabulary of " +
                     std::to_string(vn));
    }
  }
  Tokenizer t;
  t.kind_ = s.kind;
  t.pre_ = s.pre;
  t.texts_ = std::move(s.tokens);
  t.scores_ = s.scores.empty() ? std::vector<float>(n, 0.0f) : std::move(s.scores);
  t.types_.resize(n, TokenType::kNormal);
  for (size_t i = 0; i < s.types.size(); ++i) {
    int32_t v = s.types[i];
    t.types_[i] = v >= 1 && v <= 6 ? static_cast<TokenType>(v) : TokenType::kUndefined;
  }
  t.bos_ = s.bos;
  t.eos_ = s.eos;
  t.eot_ = s.eot;
  t.eom_ = s.eom;
  t.unk_ = s.unk;
  t.chat_template_ = std::move(s.chat_template);
  t.model_name_ = std::move(s.model_name);
  t.pre_name_ = std::move(s.pre_name);
  if (s.kind == TokenizerKind::kSpm) {
    t.add_bos_ = true;
    t.add_eos_ = false;
    t.add_space_prefix_ = true;
  } else {
    t.add_bos_ = s.pre == PreTokenizer::kLlama3;
    t.add_eos_ = false;
    t.add_space_prefix_ = false;
    t.ignore_merges_ = s.pre == PreTokenizer::kLlama3;
  }
  if (s.add_bos >= 0) t.add_bos_ = s.add_bos != 0;
  if (s.add_eos >= 0) t.add_eos_ = s.add_eos != 0;
  if (s.add_space_prefix >= 0) t.add_space_prefix_ = s.add_space_prefix != 0;
  if (t.add_bos_ && t.bos_ < 0) return Corrupt("tokenizer asks for a BOS token but has none");
  if (t.add_eos_ && t.eos_ < 0) return Corrupt("tokenizer asks for an EOS token but has none");
  t.Index();
  if (s.kind == TokenizerKind::kBpe) {
    if (s.merges.empty()) return Corrupt("a gpt2 (byte-level BPE) vocabulary needs tokenizer.ggml.merges, and it has none");
    t.merge_rank_.reserve(s.merges.size() * 2);
    for (size_t r = 0; r < s.merges.size(); ++r) {
      const std::string& m = s.merges[r];
      size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
      if (sp == std::string::npos || sp + 1 >= m.size()) {
        return Corrupt("tokenizer merge " + std::to_string(r) + " ('" + m + "') is not two tokens separated by a space");
      }
      t.merge_rank_.emplace(m, static_cast<int>(r));
    }
    t.merges_ = std::move(s.merges);
  } else {
    for (int b = 0; b < 256; ++b) {
      if (t.byte_tokens_[b] < 0) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        return Corrupt(std::string("SentencePiece vocabulary has no byte token ") + buf);
      }
    }
  }
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

int Tokenizer::Find(std::string_view text) const {
  auto it = index_.find(text);
  return it == index_.end() ? -1 : it->second;
}

bool Tokenizer::IsEog(int token) const {
  return token >= 0 && token < vocab_size() && is_eog_[static_cast<size_t>(token)];
}

bool Tokenizer::IsControl(int token) const {
  return token >= 0 && token < vocab_size() && types_[static_cast<size_t>(token)] == TokenType::kControl;
}

int Tokenizer::ByteToken(uint8_t byte) const {
  int id = byte_tokens_[byte];
  return id >= 0 ? id : (unk_ >= 0 ? unk_ : 0);
}

std::vector<int> Tokenizer::Encode(std::string_view text, bool bos, bool eos) const {
  if (kind_ == TokenizerKind::kLlama2c) return EncodeLlama2c(text, bos, eos);
  std::vector<int> out;
  if (bos && bos_ >= 0) out.push_back(bos_);
  std::vector<int> body = Tokenize(text, false, false);
  out.insert(out.end(), body.begin(), body.end());
  if (eos && eos_ >= 0) out.push_back(eos_);
  return out;
}

std::vector<int> Tokenizer::Tokenize(std::string_view text, bool add_special, bool parse_special) const {
  if (kind_ == TokenizerKind::kLlama2c) return EncodeLlama2c(text, add_special, false);
  // Special tokens first (llama.cpp's tokenizer_st_partition): fragments of text or one token.
  struct Fragment {
    int token;  // -1: text [off, off+len)
    size_t off, len;
  };
  std::vector<Fragment> frags;
  if (!text.empty()) frags.push_back({-1, 0, text.size()});
  std::vector<Fragment> next;
  for (int id : special_) {
    const TokenType ty = types_[static_cast<size_t>(id)];
    if (!parse_special && (ty == TokenType::kControl || ty == TokenType::kUnknown)) continue;
    const std::string& st = texts_[static_cast<size_t>(id)];
    next.clear();
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t off = f.off, end = f.off + f.len;
      while (off < end) {
        size_t m = text.substr(0, end).find(st, off);
        if (m == std::string_view::npos) break;
        if (m > off) next.push_back({-1, off, m - off});
        next.push_back({id, 0, 0});
        off = m + st.size();
      }
      if (off < end) next.push_back({-1, off, end - off});
    }
    frags.swap(next);
  }
  std::vector<int> out;
  if (add_special && add_bos_ && bos_ >= 0) out.push_back(bos_);
  bool prev_special = true;
  for (const Fragment& f : frags) {
    if (f.token >= 0) {
      out.push_back(f.token);
      prev_special = true;
      continue;
    }
    std::string_view piece = text.substr(f.off, f.len);
    if (kind_ == TokenizerKind::kSpm) {
      std::string escaped;
      if (add_space_prefix_ && prev_special) escaped = kSpmSpace;
      escaped += ReplaceAll(std::string(piece), " ", kSpmSpace);
      EncodeSpm(escaped, &out);
    } else {
      EncodeBpe(piece, &out);
    }
    prev_special = false;
  }
  if (add_special && add_eos_ && eos_ >= 0) out.push_back(eos_);
  return out;
}

std::string_view Tokenizer::Piece(int token) const {
  if (token < 0 || token >= vocab_size()) return {};
  return pieces_[static_cast<size_t>(token)];
}

std::string_view Tokenizer::Decode(int prev, int token) const {
  std::string_view p = Piece(token);
  if (kind_ != TokenizerKind::kBpe && prev == bos_ && !p.empty() && p[0] == ' ') p.remove_prefix(1);
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
