// GGUF: the file format of llama.cpp (version 3, little-endian), read and written here.
//
// Layout: magic "GGUF", u32 version, u64 tensor count, u64 metadata count; metadata key/value
// pairs (string = u64 length + bytes; typed values; arrays of one element type); tensor infos
// (name, u32 n_dims, u64 dims with ne0 the contiguous one, u32 ggml type, u64 offset); padding
// to general.alignment (default 32); then the tensor data, each at its offset relative to the
// start of the data section. doc/engine.md has the keys and tensor names used.
//
// ParseGguf validates the whole structure against the buffer: magic, version 3, counts, every
// string and array inside the buffer, no duplicate keys or tensor names, supported tensor types
// (quant.h), rows that divide into the type's blocks, offsets aligned, every tensor inside the buffer. Errors are kCorrupt
// with the byte offset or the tensor name. Nothing is allocated before its size is checked
// against the bytes that remain, so arbitrary input is safe (see fuzz/gguf_fuzz.cc).
// Ownership: GgufTensorInfo::data points into the parsed buffer, which the caller keeps alive.
// Thread-safety: plain values.
#ifndef LT_ENGINE_GGUF_H_
#define LT_ENGINE_GGUF_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/kernels.h"
#include "engine/model.h"
#include "util/result.h"

namespace lt::engine {

// GGUF metadata value types; never renumber (they are on disk).
enum class GgufType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

struct GgufValue {
  GgufType type = GgufType::kU32;
  int64_t i = 0;     // every integer type and bool
  double f = 0;      // f32, f64
  std::string s;     // string
  GgufType elem = GgufType::kU32;  // arrays
  std::vector<GgufValue> arr;
  bool IsInt() const;
  bool IsFloat() const { return type == GgufType::kF32 || type == GgufType::kF64; }
};

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> dims;  // ne0 (contiguous) first
  DType type = DType::kF32;
  uint64_t offset = 0;  // relative to the data section
  const uint8_t* data = nullptr;
  uint64_t bytes = 0;
};

struct GgufFile {
  uint32_t version = 3;
  std::map<std::string, GgufValue> kv;
  std::vector<GgufTensorInfo> tensors;
  uint64_t alignment = 32;
  uint64_t data_offset = 0;

  const GgufValue* Find(const std::string& key) const;
  const GgufTensorInfo* Tensor(const std::string& name) const;
  Result<int64_t> GetInt(const std::string& key) const;
  Result<int64_t> GetInt(const std::string& key, int64_t fallback) const;
  Result<double> GetFloat(const std::string& key, double fallback) const;
  Result<std::string> GetString(const std::string& key) const;
};

Result<GgufFile> ParseGguf(const uint8_t* data, size_t size, const std::string& what);

// general.file_type values (llama.cpp's llama_ftype); never renumber.
enum class GgufFileType : uint32_t {
  kAllF32 = 0, kMostlyF16 = 1, kMostlyQ4_0 = 2, kMostlyQ8_0 = 7, kMostlyQ4_K_S = 14, kMostlyQ4_K_M = 15,
  kMostlyQ5_K_S = 16, kMostlyQ5_K_M = 17, kMostlyQ6_K = 18, kMostlyBF16 = 32,
};

// GgufWriter: builds a GGUF v3 file (alignment 32): metadata in the order added, then tensors
// whose rows are produced on demand (so a large model never sits in memory). Write() goes to a
// temporary name and renames, so a failure leaves no partial file.
class GgufWriter {
 public:
  using RowFn = std::function<void(int64_t row, uint8_t* out)>;  // writes RowBytes(type, dims[0])

  void Str(const std::string& key, const std::string& v);
  void U32(const std::string& key, uint32_t v);
  void I32(const std::string& key, int32_t v);
  void F32(const std::string& key, float v);
  void Bool(const std::string& key, bool v);
  void StrArray(const std::string& key, std::vector<std::string> v);
  void F32Array(const std::string& key, std::vector<float> v);
  void I32Array(const std::string& key, std::vector<int32_t> v);
  // dims ggml order (ne0 contiguous); rows = product of dims[1..].
  void Tensor(const std::string& name, std::vector<uint64_t> dims, DType type, RowFn rows);
  Status Write(const std::string& path) const;

 private:
  struct Kv {
    std::string key;
    std::string encoded;  // type + value
  };
  struct T {
    std::string name;
    std::vector<uint64_t> dims;
    DType type;
    RowFn rows;
  };
  std::vector<Kv> kv_;
  std::vector<T> tensors_;
};

// Writes `model` as a GGUF v3 file of its architecture with matrices stored as `type` (a matrix
// whose rows do not divide into the type's blocks is stored as F16; norms stay F32). q and k
// weights are written as the model holds them (see doc/engine.md "RoPE convention"). The
// vocabulary, special tokens and chat template are carried over.
Status WriteGguf(const Model& model, DType type, const std::string& path, const std::string& name = "");

}  // namespace lt::engine

#endif  // LT_ENGINE_GGUF_H_
