#include "engine/model.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <new>
#include <thread>

#include "engine/model_internal.h"
#include "engine/pack.h"
#include "engine/thread_pool.h"
#include "util/fs.h"

namespace lt::engine {

Model::Storage::~Storage() {
  if (mapping != nullptr) ::munmap(mapping, mapping_size);
  if (packed_mapping != nullptr) ::munmap(packed_mapping, packed_mapping_size);
  if (buffer != nullptr) ::operator delete[](buffer, std::align_val_t(64));
}

Result<std::shared_ptr<Model::Storage>> MapFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return ErrnoError(path, e);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgument(path + ": not a regular file");
  }
  auto s = std::make_shared<Model::Storage>();
  s->size = static_cast<size_t>(st.st_size);
  if (s->size == 0) {
    ::close(fd);
    return Corrupt(path + ": empty file, expected a model");
  }
  void* p = ::mmap(nullptr, s->size, PROT_READ, MAP_PRIVATE, fd, 0);
  int e = errno;
  ::close(fd);
  if (p == MAP_FAILED) return ErrnoError(path + ": mmap", e);
  s->mapping = p;
  s->mapping_size = s->size;
  s->data = static_cast<const uint8_t*>(p);
  return s;
}

std::shared_ptr<Model::Storage> CopyToStorage(std::string_view bytes) {
  auto s = std::make_shared<Model::Storage>();
  size_t n = bytes.empty() ? 1 : bytes.size();
  s->buffer = static_cast<uint8_t*>(::operator new[](n, std::align_val_t(64)));
  if (!bytes.empty()) std::memcpy(s->buffer, bytes.data(), bytes.size());
  s->data = s->buffer;
  s->size = bytes.size();
  return s;
}

void PackWeights(ModelBuilder& b) {
  if (ActiveIsa() != Isa::kAvx512) return;  // LT_ENGINE_ISA or SetIsa may have lowered it
  Model::Storage& s = *b.storage();
  std::vector<Matrix*> mats;
  for (auto& l : b.layers()) {
    for (Matrix* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w1, &l.w2, &l.w3}) mats.push_back(m);
  }
  mats.push_back(&b.classifier());
  std::erase_if(mats, [](const Matrix* m) { return !Packable(m->type, m->rows, m->cols); });
  if (mats.empty()) return;
  // One anonymous mapping for every packed matrix, aligned to 2 MiB and marked for transparent
  // huge pages: decode streams through all of it once per token, and 4 KiB pages cost a TLB miss
  // every 4 KiB. Each matrix starts on a 4 KiB boundary.
  constexpr size_t kHuge = size_t{2} << 20;
  size_t total = 0;
  for (const Matrix* m : mats) total += (static_cast<size_t>(m->rows / kPackRows) * PackedGroupBytes(m->type, m->cols) + 4095) / 4096 * 4096;
  const size_t map_size = total + kHuge;
  void* map = ::mmap(nullptr, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return;  // the unpacked kernels still run
  s.packed_mapping = map;
  s.packed_mapping_size = map_size;
  uint8_t* next = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(map) + kHuge - 1) / kHuge * kHuge);
  ::madvise(next, total, MADV_HUGEPAGE);  // advice only: without it the pages are 4 KiB
  const long page = ::sysconf(_SC_PAGESIZE);
  for (Matrix* m : mats) {
    const int64_t groups = m->rows / kPackRows;
    const size_t gbytes = PackedGroupBytes(m->type, m->cols);
    uint8_t* buf = next;
    next += (static_cast<size_t>(groups) * gbytes + 4095) / 4096 * 4096;
    // Big matrices are packed by several threads.
    const int threads = static_cast<size_t>(groups) * gbytes >= (size_t{16} << 20) ? ThreadPool::DefaultThreads() : 1;
    std::vector<std::thread> workers;
    for (int i = 1; i < threads; ++i) {
      const int64_t g0 = groups * i / threads, g1 = groups * (i + 1) / threads;
      workers.emplace_back([m, buf, gbytes, g0, g1] {
        PackGroups(m->type, m->data, m->cols, g0, g1, buf + static_cast<size_t>(g0) * gbytes);
      });
    }
    PackGroups(m->type, m->data, m->cols, 0, groups / threads, buf);
    for (auto& w : workers) w.join();
    m->packed = buf;
    if (s.mapping != nullptr && page > 0) {  // the file's copy is no longer read: release its pages
      const uintptr_t a = (reinterpret_cast<uintptr_t>(m->data) + static_cast<uintptr_t>(page) - 1) /
                          static_cast<uintptr_t>(page) * static_cast<uintptr_t>(page);
      const uintptr_t e = (reinterpret_cast<uintptr_t>(m->data) + m->Bytes()) / static_cast<uintptr_t>(page) *
                          static_cast<uintptr_t>(page);
      if (e > a) ::madvise(reinterpret_cast<void*>(a), e - a, MADV_DONTNEED);
    }
  }
}

std::string_view ArchName(Arch a) { return a == Arch::kQwen2 ? "qwen2" : "llama"; }

Status ModelConfig::Validate(const std::string& what) const {
  auto bad = [&](const std::string& m) { return Corrupt(what + ": " + m); };
  if (dim <= 0 || hidden_dim <= 0 || n_layers <= 0 || n_heads <= 0 || n_kv_heads <= 0 || vocab_size <= 0 ||
      seq_len <= 0) {
    return bad("hyperparameters must be positive (dim " + std::to_string(dim) + ", hidden " +
               std::to_string(hidden_dim) + ", layers " + std::to_string(n_layers) + ", heads " +
               std::to_string(n_heads) + ", kv heads " + std::to_string(n_kv_heads) + ", vocab " +
               std::to_string(vocab_size) + ", seq_len " + std::to_string(seq_len) + ")");
  }
  if (dim > 65536 || hidden_dim > 262144 || n_layers > 1024 || vocab_size > (1 << 21) || seq_len > (1 << 24) ||
      n_heads > dim || head_dim < 0 || head_dim > 1024) {
    return bad("hyperparameters out of the supported range (not a llama model?)");
  }
  if (head_dim == 0 && dim % n_heads != 0) {
    return bad("dim " + std::to_string(dim) + " is not a multiple of heads " + std::to_string(n_heads));
  }
  if (n_kv_heads > n_heads || n_heads % n_kv_heads != 0) {
    return bad("heads " + std::to_string(n_heads) + " is not a multiple of kv heads " + std::to_string(n_kv_heads));
  }
  if (head_size() % 2 != 0) return bad("head size " + std::to_string(head_size()) + " is odd (RoPE needs pairs)");
  if (!(norm_eps > 0.0f && norm_eps < 1.0f)) return bad("rms norm epsilon out of range");
  if (!(rope_theta > 1.0f && rope_theta < 1e12f)) return bad("rope base frequency out of range");
  return OkStatus();
}

size_t Model::WeightBytesPerToken() const {
  size_t b = classifier_.Bytes();  // plus one embedding row, negligible
  for (const auto& l : layers_) {
    b += l.wq.Bytes() + l.wk.Bytes() + l.wv.Bytes() + l.wo.Bytes() + l.w1.Bytes() + l.w2.Bytes() + l.w3.Bytes();
  }
  return b;
}

uint64_t Model::ParameterCount() const {
  uint64_t d = static_cast<uint64_t>(config_.dim), h = static_cast<uint64_t>(config_.hidden_dim);
  uint64_t kv = static_cast<uint64_t>(config_.kv_dim());
  uint64_t q = static_cast<uint64_t>(config_.q_dim());
  uint64_t per_layer = 2 * d + 2 * q * d + 2 * kv * d + 3 * h * d;
  uint64_t p = static_cast<uint64_t>(config_.vocab_size) * d + config_.n_layers * per_layer + d;
  if (!shared_classifier_) p += static_cast<uint64_t>(config_.vocab_size) * d;
  return p;
}

std::string DefaultTokenizerPath(const std::string& model_path, int vocab_size) {
  std::filesystem::path dir = std::filesystem::path(model_path).parent_path();
  for (const std::string& name : {"tok" + std::to_string(vocab_size) + ".bin", std::string("tokenizer.bin")}) {
    std::filesystem::path p = dir / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

Result<std::shared_ptr<const Model>> Model::Load(const std::string& path, const std::string& tokenizer_path) {
  char magic[4] = {0, 0, 0, 0};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, errno);
  ssize_t n = ::read(fd, magic, 4);
  ::close(fd);
  if (n == 4 && std::memcmp(magic, "GGUF", 4) == 0) return LoadGguf(path);
  return LoadCheckpoint(path, tokenizer_path);
}

Result<std::shared_ptr<const Model>> Model::LoadGguf(const std::string& path) {
  LT_TRY(auto storage, MapFile(path));
  return LoadGgufStorage(std::move(storage), path);
}

Result<std::shared_ptr<const Model>> Model::LoadGgufFromMemory(std::string_view bytes) {
  return LoadGgufStorage(CopyToStorage(bytes), "gguf buffer");
}

// ---------------------------------------------------------------- llama2.c checkpoints

Result<std::shared_ptr<const Model>> Model::LoadCheckpoint(const std::string& path,
                                                           const std::string& tokenizer_path) {
  LT_TRY(auto storage, MapFile(path));
  if (storage->size < 28) {
    return Corrupt(path + ": truncated llama2.c checkpoint (" + std::to_string(storage->size) +
                   " bytes, the header alone is 28)");
  }
  int32_t h[7];
  std::memcpy(h, storage->data, sizeof h);
  ModelBuilder b;
  ModelConfig& c = b.config();
  c.dim = h[0];
  c.hidden_dim = h[1];
  c.n_layers = h[2];
  c.n_heads = h[3];
  c.n_kv_heads = h[4];
  bool shared = h[5] > 0;
  c.vocab_size = h[5] == INT32_MIN ? 0 : (h[5] < 0 ? -h[5] : h[5]);
  c.seq_len = h[6];
  Status valid = c.Validate(path + ": not a valid llama2.c checkpoint header");
  if (!valid.ok()) return valid.error();

  const uint64_t dim = static_cast<uint64_t>(c.dim), hid = static_cast<uint64_t>(c.hidden_dim);
  const uint64_t L = static_cast<uint64_t>(c.n_layers), kv = static_cast<uint64_t>(c.kv_dim());
  const uint64_t vocab = static_cast<uint64_t>(c.vocab_size), hs = static_cast<uint64_t>(c.head_size());
  uint64_t floats = vocab * dim + L * dim + L * dim * dim + 2 * L * kv * dim + L * dim * dim + L * dim +
                    3 * L * hid * dim + dim + 2 * static_cast<uint64_t>(c.seq_len) * hs / 2;
  if (!shared) floats += vocab * dim;
  const uint64_t expected = 28 + 4 * floats;
  if (storage->size != expected) {
    return Corrupt(path + ": file is " + std::to_string(storage->size) + " bytes but its header (dim " +
                   std::to_string(c.dim) + ", hidden " + std::to_string(c.hidden_dim) + ", layers " +
                   std::to_string(c.n_layers) + ", heads " + std::to_string(c.n_heads) + "/" +
                   std::to_string(c.n_kv_heads) + ", vocab " + std::to_string(h[5]) + ", seq_len " +
                   std::to_string(c.seq_len) + ") implies " + std::to_string(expected) +
                   ": truncated, or not a llama2.c checkpoint");
  }

  std::string tok_path = tokenizer_path.empty() ? DefaultTokenizerPath(path, c.vocab_size) : tokenizer_path;
  if (tok_path.empty()) {
    return InvalidArgument(path + ": a llama2.c checkpoint needs a tokenizer file (--tokenizer), and none "
                                  "(tok" + std::to_string(c.vocab_size) + ".bin, tokenizer.bin) is next to it");
  }
  LT_TRY(b.tokenizer(), Tokenizer::LoadLlama2c(tok_path, c.vocab_size));

  const uint8_t* p = storage->data + 28;
  auto take = [&p](uint64_t n) {
    const uint8_t* r = p;
    p += 4 * n;
    return r;
  };
  auto mat = [](const uint8_t* data, uint64_t rows, uint64_t cols) {
    return Matrix{DType::kF32, data, static_cast<int64_t>(rows), static_cast<int64_t>(cols)};
  };
  b.token_embd() = mat(take(vocab * dim), vocab, dim);
  auto& layers = b.layers();
  layers.resize(static_cast<size_t>(L));
  auto f32 = [](const uint8_t* q) { return reinterpret_cast<const float*>(q); };
  for (auto& l : layers) l.rms_att = f32(take(dim));
  for (auto& l : layers) l.wq = mat(take(dim * dim), dim, dim);
  for (auto& l : layers) l.wk = mat(take(kv * dim), kv, dim);
  for (auto& l : layers) l.wv = mat(take(kv * dim), kv, dim);
  for (auto& l : layers) l.wo = mat(take(dim * dim), dim, dim);
  for (auto& l : layers) l.rms_ffn = f32(take(dim));
  for (auto& l : layers) l.w1 = mat(take(hid * dim), hid, dim);
  for (auto& l : layers) l.w2 = mat(take(dim * hid), dim, hid);
  for (auto& l : layers) l.w3 = mat(take(hid * dim), hid, dim);
  b.rms_final() = f32(take(dim));
  take(static_cast<uint64_t>(c.seq_len) * hs);  // the two legacy RoPE tables
  b.classifier() = shared ? b.token_embd() : mat(take(vocab * dim), vocab, dim);
  b.shared_classifier() = shared;
  b.format() = "llama2.c";
  b.weight_type() = DType::kF32;
  b.storage() = std::move(storage);
  return b.Finish();
}

}  // namespace lt::engine
