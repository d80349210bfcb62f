// Tokenizer: SentencePiece BPE with byte fallback, exactly as llama2.c's run.c does it.
//
// Pieces use a plain space (GGUF files that store U+2581 are mapped to spaces on load). Encode:
// optional BOS, a leading " " piece when the text is not empty, one piece per UTF-8 code point
// (unknown ones become byte pieces, id = byte + 3), then repeatedly merge the adjacent pair whose
// concatenation is a piece with the highest score (leftmost on ties), optional EOS. The merge runs
// with a priority queue (O(n log n)) but picks exactly the pairs run.c's O(n^2) loop picks.
// Decode(prev, token): the piece, without its leading space right after BOS, and "<0xNN>" pieces
// as the raw byte. SafePiece is run.c's safe_printf filter (drops single non-printable bytes).
// Ownership: a Tokenizer owns its strings. Thread-safety: immutable after load; const methods
// may be called from any thread.
#ifndef LT_ENGINE_TOKENIZER_H_
#define LT_ENGINE_TOKENIZER_H_

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/result.h"

namespace lt::engine {

// GGUF tokenizer.ggml.token_type values (llama.cpp's); never renumber.
enum class TokenType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

class Tokenizer {
 public:
  // llama2.c tokenizer file (int32 max_token_length, then per id: float score, int32 len, bytes).
  static Result<Tokenizer> LoadLlama2c(const std::string& path, int vocab_size);
  static Result<Tokenizer> ParseLlama2c(std::string_view bytes, int vocab_size, const std::string& what);
  Tokenizer() = default;
  Tokenizer(Tokenizer&&) = default;  // the index holds views into pieces_: moves keep them valid
  Tokenizer& operator=(Tokenizer&&) = default;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  static Result<Tokenizer> FromPieces(std::vector<std::string> pieces, std::vector<float> scores, int bos_id,
                                      int eos_id);

  std::vector<int> Encode(std::string_view text, bool bos, bool eos) const;
  // The bytes printed for `token` after `prev` (run.c decode); raw byte for "<0xNN>" pieces.
  std::string_view Decode(int prev, int token) const;
  // run.c safe_printf: "" for an empty piece or a single byte that is neither printable nor space.
  static std::string_view SafePiece(std::string_view piece);

  int vocab_size() const { return static_cast<int>(pieces_.size()); }
  int bos_id() const { return bos_id_; }
  int eos_id() const { return eos_id_; }
  int max_token_length() const { return max_token_length_; }
  const std::string& piece(int id) const { return pieces_[static_cast<size_t>(id)]; }
  float score(int id) const { return scores_[static_cast<size_t>(id)]; }
  const std::vector<std::string>& pieces() const { return pieces_; }
  const std::vector<float>& scores() const { return scores_; }
  // Lookup of an exact piece; -1 when absent (the lowest id wins for duplicates).
  int Find(std::string_view piece) const;

 private:
  void Index();

  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string_view, int> index_;  // views into pieces_
  std::vector<int> byte_piece_;                       // id -> byte value for "<0xNN>", else -1
  int bos_id_ = 1;
  int eos_id_ = 2;
  int max_token_length_ = 0;
};

}  // namespace lt::engine

#endif  // LT_ENGINE_TOKENIZER_H_
