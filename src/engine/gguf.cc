#include "engine/gguf.h"

#include <cstring>
#include <set>

#include "engine/model_internal.h"

namespace lt::engine {

bool GgufValue::IsInt() const {
  switch (type) {
    case GgufType::kU8: case GgufType::kI8: case GgufType::kU16: case GgufType::kI16: case GgufType::kU32:
    case GgufType::kI32: case GgufType::kU64: case GgufType::kI64: case GgufType::kBool:
      return true;
    default:
      return false;
  }
}

const GgufValue* GgufFile::Find(const std::string& key) const {
  auto it = kv.find(key);
  return it == kv.end() ? nullptr : &it->second;
}

const GgufTensorInfo* GgufFile::Tensor(const std::string& name) const {
  for (const auto& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<int64_t> GgufFile::GetInt(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Corrupt("missing metadata key " + key);
  if (!v->IsInt()) return Corrupt("metadata key " + key + " is not an integer");
  return v->i;
}

Result<int64_t> GgufFile::GetInt(const std::string& key, int64_t fallback) const {
  if (Find(key) == nullptr) return fallback;
  return GetInt(key);
}

Result<double> GgufFile::GetFloat(const std::string& key, double fallback) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return fallback;
  if (v->IsFloat()) return v->f;
  if (v->IsInt()) return static_cast<double>(v->i);
  return Corrupt("metadata key " + key + " is not a number");
}

Result<std::string> GgufFile::GetString(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Corrupt("missing metadata key " + key);
  if (v->type != GgufType::kString) return Corrupt("metadata key " + key + " is not a string");
  return v->s;
}

// ---------------------------------------------------------------- parser

namespace {

class Reader {
 public:
  Reader(const uint8_t* d, size_t n, const std::string& what) : d_(d), n_(n), what_(what) {}
  size_t off() const { return off_; }
  size_t left() const { return n_ - off_; }
  Error Err(const std::string& m) const { return Corrupt(what_ + ": " + m + " (at byte " + std::to_string(off_) + ")"); }

  template <typename T>
  Result<T> Pod(const char* field) {
    if (left() < sizeof(T)) {
      return Err(std::string("truncated: ") + field + " needs " + std::to_string(sizeof(T)) + " bytes, " +
                 std::to_string(left()) + " left");
    }
    T v;
    std::memcpy(&v, d_ + off_, sizeof(T));
    off_ += sizeof(T);
    return v;
  }
  Result<std::string> String(const char* field) {
    LT_TRY(uint64_t len, Pod<uint64_t>(field));
    if (len > left()) {
      return Err(std::string(field) + " of " + std::to_string(len) + " bytes runs past the end of the file");
    }
    std::string s(reinterpret_cast<const char*>(d_ + off_), static_cast<size_t>(len));
    off_ += static_cast<size_t>(len);
    return s;
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t off_ = 0;
  const std::string& what_;
};

size_t MinSize(GgufType t) {
  switch (t) {
    case GgufType::kU8: case GgufType::kI8: case GgufType::kBool: return 1;
    case GgufType::kU16: case GgufType::kI16: return 2;
    case GgufType::kU32: case GgufType::kI32: case GgufType::kF32: return 4;
    case GgufType::kU64: case GgufType::kI64: case GgufType::kF64: case GgufType::kString: return 8;
    case GgufType::kArray: return 12;
  }
  return 1;
}

Result<GgufValue> ReadValue(Reader& r, GgufType type, int depth) {
  GgufValue v;
  v.type = type;
  switch (type) {
    case GgufType::kU8: { LT_TRY(uint8_t x, r.Pod<uint8_t>("u8 value")); v.i = x; break; }
    case GgufType::kI8: { LT_TRY(int8_t x, r.Pod<int8_t>("i8 value")); v.i = x; break; }
    case GgufType::kU16: { LT_TRY(uint16_t x, r.Pod<uint16_t>("u16 value")); v.i = x; break; }
    case GgufType::kI16: { LT_TRY(int16_t x, r.Pod<int16_t>("i16 value")); v.i = x; break; }
    case GgufType::kU32: { LT_TRY(uint32_t x, r.Pod<uint32_t>("u32 value")); v.i = x; break; }
    case GgufType::kI32: { LT_TRY(int32_t x, r.Pod<int32_t>("i32 value")); v.i = x; break; }
    case GgufType::kU64: {
      LT_TRY(uint64_t x, r.Pod<uint64_t>("u64 value"));
      if (x > static_cast<uint64_t>(INT64_MAX)) return r.Err("u64 value too large");
      v.i = static_cast<int64_t>(x);
      break;
    }
    case GgufType::kI64: { LT_TRY(int64_t x, r.Pod<int64_t>("i64 value")); v.i = x; break; }
    case GgufType::kF32: { LT_TRY(float x, r.Pod<float>("f32 value")); v.f = x; break; }
    case GgufType::kF64: { LT_TRY(double x, r.Pod<double>("f64 value")); v.f = x; break; }
    case GgufType::kBool: {
      LT_TRY(uint8_t x, r.Pod<uint8_t>("bool value"));
      if (x > 1) return r.Err("bool value " + std::to_string(x) + " is not 0 or 1");
      v.i = x;
      break;
    }
    case GgufType::kString: { LT_TRY(v.s, r.String("string value")); break; }
    case GgufType::kArray: {
      if (depth > 0) return r.Err("nested arrays are not supported");
      LT_TRY(uint32_t et, r.Pod<uint32_t>("array element type"));
      if (et > static_cast<uint32_t>(GgufType::kF64)) return r.Err("unknown array element type " + std::to_string(et));
      v.elem = static_cast<GgufType>(et);
      LT_TRY(uint64_t count, r.Pod<uint64_t>("array length"));
      if (count > r.left() / MinSize(v.elem)) {
        return r.Err("array of " + std::to_string(count) + " elements runs past the end of the file");
      }
      v.arr.reserve(static_cast<size_t>(count));
      for (uint64_t k = 0; k < count; ++k) {
        LT_TRY(GgufValue e, ReadValue(r, v.elem, depth + 1));
        v.arr.push_back(std::move(e));
      }
      break;
    }
    default:
      return r.Err("unknown metadata value type " + std::to_string(static_cast<uint32_t>(type)));
  }
  return v;
}

}  // namespace

Result<GgufFile> ParseGguf(const uint8_t* data, size_t size, const std::string& what) {
  Reader r(data, size, what);
  if (size < 4 || std::memcmp(data, "GGUF", 4) != 0) return Corrupt(what + ": not a GGUF file (bad magic)");
  LT_TRY(uint32_t magic, r.Pod<uint32_t>("magic"));
  (void)magic;
  GgufFile f;
  LT_TRY(f.version, r.Pod<uint32_t>("version"));
  if (f.version != 3) {
    return Corrupt(what + ": GGUF version " + std::to_string(f.version) + " is not supported (only version 3)");
  }
  LT_TRY(uint64_t n_tensors, r.Pod<uint64_t>("tensor count"));
  LT_TRY(uint64_t n_kv, r.Pod<uint64_t>("metadata count"));
  // Each metadata pair takes at least 8+4+1 bytes, each tensor info at least 8+4+8+4+8.
  if (n_kv > r.left() / 13) return r.Err("metadata count " + std::to_string(n_kv) + " exceeds the file");
  if (n_tensors > r.left() / 32 || n_tensors > 1000000) {
    return r.Err("tensor count " + std::to_string(n_tensors) + " exceeds the file");
  }
  for (uint64_t k = 0; k < n_kv; ++k) {
    LT_TRY(std::string key, r.String("metadata key"));
    if (key.empty()) return r.Err("empty metadata key");
    LT_TRY(uint32_t t, r.Pod<uint32_t>("metadata value type"));
    if (t > static_cast<uint32_t>(GgufType::kF64)) {
      return r.Err("metadata key " + key + " has unknown value type " + std::to_string(t));
    }
    LT_TRY(GgufValue v, ReadValue(r, static_cast<GgufType>(t), 0));
    if (!f.kv.emplace(key, std::move(v)).second) return r.Err("duplicate metadata key " + key);
  }
  if (const GgufValue* a = f.Find("general.alignment")) {
    if (!a->IsInt() || a->i <= 0 || a->i > (1 << 20) || (a->i & (a->i - 1)) != 0) {
      return r.Err("general.alignment must be a power of two");
    }
    f.alignment = static_cast<uint64_t>(a->i);
  }
  std::set<std::string> names;
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensorInfo t;
    LT_TRY(t.name, r.String("tensor name"));
    if (!names.insert(t.name).second) return r.Err("duplicate tensor " + t.name);
    LT_TRY(uint32_t nd, r.Pod<uint32_t>("tensor dimension count"));
    if (nd < 1 || nd > 4) return r.Err("tensor " + t.name + " has " + std::to_string(nd) + " dimensions (1..4)");
    uint64_t elems = 1;
    for (uint32_t d = 0; d < nd; ++d) {
      LT_TRY(uint64_t dim, r.Pod<uint64_t>("tensor dimension"));
      if (dim == 0 || dim > (1ull << 32) || elems > (1ull << 40) / dim) {
        return r.Err("tensor " + t.name + " has an invalid dimension " + std::to_string(dim));
      }
      elems *= dim;
      t.dims.push_back(dim);
    }
    LT_TRY(uint32_t type, r.Pod<uint32_t>("tensor type"));
    if (!IsSupportedWeightType(type)) {
      return r.Err("tensor " + t.name + " has ggml type " + std::to_string(type) +
                   ", which is not supported (F32=0, F16=1, Q4_0=2, Q8_0=8, Q4_K=12, Q5_K=13, Q6_K=14, BF16=30)");
    }
    t.type = static_cast<DType>(type);
    size_t row = RowBytes(t.type, static_cast<int64_t>(t.dims[0]));
    if (row == 0) {
      return r.Err("tensor " + t.name + " is " + std::string(DTypeName(t.type)) + " but its rows of " +
                   std::to_string(t.dims[0]) + " are not a multiple of its block of " +
                   std::to_string(BlockElems(t.type)));
    }
    t.bytes = static_cast<uint64_t>(row) * (elems / t.dims[0]);
    LT_TRY(t.offset, r.Pod<uint64_t>("tensor offset"));
    if (t.offset % f.alignment != 0) {
      return r.Err("tensor " + t.name + " offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                   std::to_string(f.alignment));
    }
    f.tensors.push_back(std::move(t));
  }
  uint64_t data_offset = (r.off() + f.alignment - 1) / f.alignment * f.alignment;
  if (data_offset > size) return Corrupt(what + ": truncated before the tensor data");
  f.data_offset = data_offset;
  for (auto& t : f.tensors) {
    uint64_t avail = size - data_offset;
    if (t.offset > avail || t.bytes > avail - t.offset) {
      return Corrupt(what + ": tensor " + t.name + " (" + std::to_string(t.bytes) + " bytes at data offset " +
                     std::to_string(t.offset) + ") runs past the end of the file (" + std::to_string(size) +
                     " bytes): truncated?");
    }
    t.data = data + data_offset + t.offset;
    uintptr_t addr = reinterpret_cast<uintptr_t>(t.data);
    if ((t.type == DType::kF32 && addr % 4 != 0) || (t.type != DType::kF32 && addr % 2 != 0)) {
      return Corrupt(what + ": tensor " + t.name + " is not aligned to its element size");
    }
  }
  return f;
}

}  // namespace lt::engine
