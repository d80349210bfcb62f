// Tokenizer: text <-> token ids for the three vocabularies the engine reads.
//
//  - kLlama2c: a llama2.c tokenizer file, encoded exactly as run.c does (BOS, a leading " "
//    piece, one piece per code point with byte fallback id = byte + 3, best-score merges).
//  - kSpm: a GGUF `llama` (SentencePiece) vocabulary, encoded as llama.cpp does: special tokens
//    split out first, a "▁" prefix at the start and after each special token, spaces as "▁",
//    best-score bigram merges, "<0xNN>" byte pieces for what no piece covers.
//  - kBpe: a GGUF `gpt2` (byte-level BPE) vocabulary with its merges and the pre-tokenizer named
//    by tokenizer.ggml.pre (`llama-bpe`/`llama3` and `qwen2` are supported): special tokens split
//    out, words by the pre-tokenizer, bytes mapped to GPT-2's characters, merges by rank (a word
//    that is itself a token is kept whole for llama-bpe, as llama.cpp's ignore_merges).
// Tokenize(text, add_special, parse_special) has llama.cpp's meaning: add_special adds BOS (and
// EOS) as the vocabulary asks (tokenizer.ggml.add_bos_token / add_eos_token, defaults per
// kind); parse_special turns the text of control tokens (e.g. "<|eot_id|>") into those tokens,
// while user-defined tokens are always matched. Encode(text, bos, eos) is the older entry point:
// BOS when asked and the vocabulary has one, EOS when asked, no special parsing.
// Decoding: Piece(token) is the bytes the token stands for (control tokens: empty; byte tokens:
// the byte); Decode(prev, token) also drops the leading space of a piece right after BOS
// (run.c's rule, for the SentencePiece kinds).
// The special tokens (BOS, EOS, EOT, EOM, the end-of-generation set, every control token) and
// tokenizer.chat_template are exposed for the OpenAI layer to apply chat templates.
// Ownership: a Tokenizer owns its strings. Thread-safety: immutable after load; const methods
// may be called from any thread.
#ifndef LT_ENGINE_TOKENIZER_H_
#define LT_ENGINE_TOKENIZER_H_

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/unicode.h"
#include "util/result.h"

namespace lt::engine {

// GGUF tokenizer.ggml.token_type values (llama.cpp's); never renumber.
enum class TokenType : int32_t { kUndefined = 0, kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

enum class TokenizerKind { kLlama2c, kSpm, kBpe };

// What a GGUF file says about its vocabulary (the loader fills it; FromVocab checks it).
struct VocabSpec {
  TokenizerKind kind = TokenizerKind::kSpm;
  PreTokenizer pre = PreTokenizer::kLlama3;  // kBpe only
  std::string model_name;                    // tokenizer.ggml.model
  std::string pre_name;                      // tokenizer.ggml.pre
  std::vector<std::string> tokens;           // as stored (SentencePiece "▁", GPT-2 byte characters)
  std::vector<float> scores;                 // empty: all 0
  std::vector<int32_t> types;                // empty: all normal
  std::vector<std::string> merges;           // kBpe: "left right", by rank
  int bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, pad = -1;
  int add_bos = -1, add_eos = -1, add_space_prefix = -1;  // -1: the kind's default
  std::string chat_template;
};

class Tokenizer {
 public:
  // llama2.c tokenizer file (int32 max_token_length, then per id: float score, int32 len, bytes).
  static Result<Tokenizer> LoadLlama2c(const std::string& path, int vocab_size);
  static Result<Tokenizer> ParseLlama2c(std::string_view bytes, int vocab_size, const std::string& what);
  static Result<Tokenizer> FromPieces(std::vector<std::string> pieces, std::vector<float> scores, int bos_id,
                                      int eos_id);
  // A GGUF vocabulary; kCorrupt naming what is inconsistent (ids outside the vocabulary, merges
  // missing for kBpe, merges of unknown tokens, sizes that disagree).
  static Result<Tokenizer> FromVocab(VocabSpec spec);

  Tokenizer() = default;
  Tokenizer(Tokenizer&&) = default;  // the index holds views into texts_: moves keep them valid
  Tokenizer& operator=(Tokenizer&&) = default;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  std::vector<int> Tokenize(std::string_view text, bool add_special, bool parse_special) const;
  std::vector<int> Encode(std::string_view text, bool bos, bool eos) const;
  // The bytes printed for `token` after `prev`; valid as long as the tokenizer.
  std::string_view Decode(int prev, int token) const;
  std::string_view Piece(int token) const;
  // run.c safe_printf: "" for an empty piece or a single byte that is neither printable nor space.
  static std::string_view SafePiece(std::string_view piece);

  TokenizerKind kind() const { return kind_; }
  int vocab_size() const { return static_cast<int>(texts_.size()); }
  int bos_id() const { return bos_; }  // -1 when the vocabulary has none
  int eos_id() const { return eos_; }
  int eot_id() const { return eot_; }
  int eom_id() const { return eom_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  // End of generation: EOS, EOT, EOM and the tokens llama.cpp recognises by their text.
  bool IsEog(int token) const;
  const std::vector<int>& eog_ids() const { return eog_; }
  // Control tokens (type control), e.g. <|start_header_id|>.
  bool IsControl(int token) const;
  TokenType type(int id) const { return types_[static_cast<size_t>(id)]; }
  const std::string& chat_template() const { return chat_template_; }
  const std::string& model_name() const { return model_name_; }
  const std::string& pre_name() const { return pre_name_; }
  int max_token_length() const { return max_token_length_; }
  // The token's text as the vocabulary stores it; llama2.c pieces use plain spaces.
  const std::string& text(int id) const { return texts_[static_cast<size_t>(id)]; }
  // llama2.c compatibility: the piece (plain spaces) and score of an id.
  const std::string& piece(int id) const { return texts_[static_cast<size_t>(id)]; }
  float score(int id) const { return scores_[static_cast<size_t>(id)]; }
  const std::vector<float>& scores() const { return scores_; }
  const std::vector<std::string>& merges() const { return merges_; }
  // Lookup of an exact stored text; -1 when absent (the lowest id wins for duplicates).
  int Find(std::string_view text) const;

 private:
  void Index();
  std::vector<int> EncodeLlama2c(std::string_view text, bool bos, bool eos) const;
  void EncodeSpm(std::string_view text, std::vector<int>* out) const;
  void EncodeBpe(std::string_view text, std::vector<int>* out) const;
  int MergeRank(std::string_view left, std::string_view right) const;
  int ByteToken(uint8_t byte) const;

  TokenizerKind kind_ = TokenizerKind::kLlama2c;
  PreTokenizer pre_ = PreTokenizer::kLlama3;
  std::vector<std::string> texts_;
  std::vector<std::string> pieces_;  // decoded bytes
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  std::vector<std::string> merges_;
  std::unordered_map<std::string_view, int> index_;  // views into texts_
  std::unordered_map<std::string, int> merge_rank_;  // "left right" -> rank
  std::vector<int> special_;                         // matched in text, longest first
  std::vector<int> eog_;
  std::vector<char> is_eog_;
  int byte_tokens_[256] = {};
  int bos_ = 1, eos_ = 2, eot_ = -1, eom_ = -1, unk_ = -1;
  bool add_bos_ = true, add_eos_ = false, add_space_prefix_ = true, ignore_merges_ = false;
  int max_token_length_ = 0;
  std::string chat_template_, model_name_, pre_name_;
};

}  // namespace lt::engine

#endif  // LT_ENGINE_TOKENIZER_H_
