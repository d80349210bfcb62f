// Internal to the engine library: how loaders fill a Model. Not part of the public API.
#ifndef LT_ENGINE_MODEL_INTERNAL_H_
#define LT_ENGINE_MODEL_INTERNAL_H_

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model.h"

namespace lt::engine {

struct Model::Storage {
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();
  const uint8_t* data = nullptr;  // the whole file
  size_t size = 0;
  void* mapping = nullptr;  // mmap'ed region (when loaded from a path)
  size_t mapping_size = 0;
  uint8_t* buffer = nullptr;  // 64-byte aligned copy (when loaded from memory)
  std::vector<std::vector<float>> floats;  // norms converted to f32
  // Repacked weights (pack.h): one anonymous mapping, in 2 MiB pages where the kernel allows.
  void* packed_mapping = nullptr;
  size_t packed_mapping_size = 0;
};

// Memory-maps a whole file read-only.
Result<std::shared_ptr<Model::Storage>> MapFile(const std::string& path);
// Copies bytes into a 64-byte aligned buffer.
std::shared_ptr<Model::Storage> CopyToStorage(std::string_view bytes);

class ModelBuilder {
 public:
  ModelBuilder() : m_(new Model()) {}
  Model& m() { return *m_; }
  std::shared_ptr<const Model> Finish() { return std::shared_ptr<const Model>(m_.release()); }
  ModelConfig& config() { return m_->config_; }
  Tokenizer& tokenizer() { return m_->tokenizer_; }
  Matrix& token_embd() { return m_->token_embd_; }
  std::vector<LayerWeights>& layers() { return m_->layers_; }
  const float*& rms_final() { return m_->rms_final_; }
  Matrix& classifier() { return m_->classifier_; }
  const float*& rope_freq_factors() { return m_->rope_freq_factors_; }
  std::string& name() { return m_->name_; }
  bool& shared_classifier() { return m_->shared_classifier_; }
  std::string& format() { return m_->format_; }
  DType& weight_type() { return m_->weight_type_; }
  std::shared_ptr<Model::Storage>& storage() { return m_->storage_; }

 private:
  std::unique_ptr<Model> m_;
};

// Repacks the matrices the AVX-512 kernels have packed layouts for (when this CPU runs them) and
// sets their Matrix::packed; the file's pages of those matrices are then released from memory
// (they stay mapped and fault back in if an ISA without packed kernels is forced).
void PackWeights(ModelBuilder& b);

Result<std::shared_ptr<const Model>> LoadGgufStorage(std::shared_ptr<Model::Storage> storage,
                                                     const std::string& what);

}  // namespace lt::engine

#endif  // LT_ENGINE_MODEL_INTERNAL_H_
