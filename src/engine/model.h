// Model: the hyperparameters, weights and tokenizer of one decoder-only transformer of the llama
// family, loaded from a llama2.c checkpoint (.bin, with a separate tokenizer file) or a GGUF file
// (tokenizer inside). Architectures (GGUF general.architecture): `llama` (Llama 1/2/3/3.x with
// llama3 RoPE scaling through rope_freqs.weight, Mistral-style GQA) and `qwen2` (q/k/v biases,
// RoPE on the two halves of each head); any other is refused naming it.
//
// Loading memory-maps the file and validates everything before any inference: header values,
// the exact file size of a checkpoint; for GGUF the magic, version, counts, string and array
// bounds, tensor types, shapes against the hyperparameters, offsets, alignment and that every
// tensor lies inside the file. A truncated, foreign or inconsistent file is an Error (kCorrupt or
// kInvalidArgument) that names the file and what is wrong; nothing here asserts on file content.
// The weight Matrix views point into the mapping (or into small owned buffers for norms), which
// the Model keeps alive.
// Ownership: a Model is immutable after loading and shared (std::shared_ptr<const Model>) by
// sessions. Thread-safety: const access from any number of threads.
#ifndef LT_ENGINE_MODEL_H_
#define LT_ENGINE_MODEL_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/kernels.h"
#include "engine/tokenizer.h"
#include "util/result.h"

namespace lt::engine {

enum class Arch { kLlama, kQwen2 };
std::string_view ArchName(Arch a);
// kAdjacent rotates pairs (2i, 2i+1) of each head (llama: ggml's "normal" RoPE); kHalves rotates
// (i, i + head/2) (qwen2: ggml's NEOX RoPE).
enum class RopeStyle { kAdjacent, kHalves };

struct ModelConfig {
  Arch arch = Arch::kLlama;
  RopeStyle rope_style = RopeStyle::kAdjacent;
  int head_dim = 0;  // 0: dim / n_heads (GGUF attention.key_length may say otherwise)
  int dim = 0;
  int hidden_dim = 0;
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads = 0;
  int vocab_size = 0;
  int seq_len = 0;
  float norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  int head_size() const { return head_dim > 0 ? head_dim : (n_heads > 0 ? dim / n_heads : 0); }
  int q_dim() const { return n_heads * head_size(); }
  int kv_dim() const { return n_kv_heads * head_size(); }
  // Checks the values are positive, divisible and small enough to allocate state for.
  Status Validate(const std::string& what) const;
};

struct LayerWeights {
  const float* rms_att = nullptr;  // [dim]
  const float* rms_ffn = nullptr;  // [dim]
  Matrix wq, wk, wv, wo;           // [q_dim][dim], [kv_dim][dim], [kv_dim][dim], [dim][q_dim]
  Matrix w1, w2, w3;               // [hidden][dim], [dim][hidden], [hidden][dim]
  const float* bq = nullptr;       // qwen2: [q_dim], [kv_dim], [kv_dim]; else null
  const float* bk = nullptr;
  const float* bv = nullptr;
};

class Model {
 public:
  // By content: a GGUF file (magic "GGUF") or else a llama2.c checkpoint, which needs
  // `tokenizer_path` (empty: tok512.bin-style file "tokenizer.bin"/"tok<vocab>.bin" next to it).
  static Result<std::shared_ptr<const Model>> Load(const std::string& path, const std::string& tokenizer_path = "");
  static Result<std::shared_ptr<const Model>> LoadCheckpoint(const std::string& path,
                                                             const std::string& tokenizer_path);
  static Result<std::shared_ptr<const Model>> LoadGguf(const std::string& path);
  // The GGUF parser on bytes in memory (copied); used by the fuzz target and tests.
  static Result<std::shared_ptr<const Model>> LoadGgufFromMemory(std::string_view bytes);

  const ModelConfig& config() const { return config_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  const Matrix& token_embedding() const { return token_embd_; }
  const std::vector<LayerWeights>& layers() const { return layers_; }
  const float* rms_final() const { return rms_final_; }
  const Matrix& classifier() const { return classifier_; }  // the embedding when shared
  bool shared_classifier() const { return shared_classifier_; }
  // llama3 RoPE scaling: head_size/2 factors dividing each frequency (rope_freqs.weight); null
  // when the model has none.
  const float* rope_freq_factors() const { return rope_freq_factors_; }
  // general.name (or the file name); the GGUF metadata keys and values that describe the model
  // (for `lt model inspect`-style output).
  const std::string& name() const { return name_; }
  // "llama2.c" or "gguf"; the dominant weight type; total bytes of weight matrices read per token.
  const std::string& format() const { return format_; }
  DType weight_type() const { return weight_type_; }
  size_t WeightBytesPerToken() const;
  uint64_t ParameterCount() const;

  struct Storage;  // the mapping or buffer, plus owned float copies

 private:
  friend class ModelBuilder;
  Model() = default;

  ModelConfig config_;
  Tokenizer tokenizer_;
  Matrix token_embd_;
  std::vector<LayerWeights> layers_;
  const float* rms_final_ = nullptr;
  const float* rope_freq_factors_ = nullptr;
  std::string name_;
  Matrix classifier_;
  bool shared_classifier_ = true;
  std::string format_;
  DType weight_type_ = DType::kF32;
  std::shared_ptr<Storage> storage_;
};

// The default tokenizer for a checkpoint: tok<vocab>.bin or tokenizer.bin beside it ("" if none).
std::string DefaultTokenizerPath(const std::string& model_path, int vocab_size);

}  // namespace lt::engine

#endif  // LT_ENGINE_MODEL_H_
