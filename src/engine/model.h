// Model: the hyperparameters, weights and tokenizer of one llama-architecture model, loaded from
// a llama2.c checkpoint (.bin, with a separate tokenizer file) or a GGUF file (tokenizer inside).
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

struct ModelConfig {
  int dim = 0;
  int hidden_dim = 0;
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads = 0;
  int vocab_size = 0;
  int seq_len = 0;
  float norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  int head_size() const { return n_heads > 0 ? dim / n_heads : 0; }
  int kv_dim() const { return n_heads > 0 ? n_kv_heads * (dim / n_heads) : 0; }
  // Checks the values are positive, divisible and small enough to allocate state for.
  Status Validate(const std::string& what) const;
};

struct LayerWeights {
  const float* rms_att = nullptr;  // [dim]
  const float* rms_ffn = nullptr;  // [dim]
  Matrix wq, wk, wv, wo;           // [dim][dim], [kv_dim][dim], [kv_dim][dim], [dim][dim]
  Matrix w1, w2, w3;               // [hidden][dim], [dim][hidden], [hidden][dim]
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
