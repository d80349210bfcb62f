// WriteGguf: a Model (from any loader) to a GGUF v3 file. See gguf.h and doc/engine.md.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>

#include "engine/gguf.h"
#include "util/fs.h"

namespace lt::engine {

namespace {

constexpr uint64_t kAlignment = 32;

class Out {
 public:
  explicit Out(std::FILE* f) : f_(f) {}
  void Bytes(const void* p, size_t n) {
    if (ok_ && n > 0 && std::fwrite(p, 1, n, f_) != n) ok_ = false;
    written_ += n;
  }
  template <typename T>
  void Pod(T v) { Bytes(&v, sizeof v); }
  void Str(std::string_view s) {
    Pod<uint64_t>(s.size());
    Bytes(s.data(), s.size());
  }
  void Pad() {
    static const char zeros[kAlignment] = {};
    size_t pad = static_cast<size_t>((kAlignment - written_ % kAlignment) % kAlignment);
    Bytes(zeros, pad);
  }
  bool ok() const { return ok_; }
  uint64_t written() const { return written_; }

 private:
  std::FILE* f_;
  bool ok_ = true;
  uint64_t written_ = 0;
};

struct KV {
  std::string key;
  std::function<void(Out&)> write;  // type and value
};

KV U32(std::string k, uint32_t v) {
  return {std::move(k), [v](Out& o) { o.Pod<uint32_t>(static_cast<uint32_t>(GgufType::kU32)); o.Pod(v); }};
}
KV F32(std::string k, float v) {
  return {std::move(k), [v](Out& o) { o.Pod<uint32_t>(static_cast<uint32_t>(GgufType::kF32)); o.Pod(v); }};
}
KV Str(std::string k, std::string v) {
  return {std::move(k), [v](Out& o) { o.Pod<uint32_t>(static_cast<uint32_t>(GgufType::kString)); o.Str(v); }};
}

struct TensorOut {
  std::string name;
  std::vector<uint64_t> dims;
  DType type;
  const Matrix* src = nullptr;  // a matrix, converted row by row
  const float* vec = nullptr;   // or a 1-D f32 vector of dims[0]
  uint64_t bytes = 0;
  uint64_t offset = 0;
};

std::string ToSentencePiece(const std::string& piece) {
  std::string out;
  for (char ch : piece) {
    if (ch == ' ') out += "\xE2\x96\x81";  // U+2581, the SentencePiece space
    else out += ch;
  }
  return out;
}

}  // namespace

Status WriteGguf(const Model& model, DType type, const std::string& path, const std::string& name) {
  const ModelConfig& c = model.config();
  const Tokenizer& tok = model.tokenizer();

  std::vector<TensorOut> tensors;
  auto add_matrix = [&](std::string n, const Matrix& m) {
    DType t = type;
    if (t == DType::kQ8_0 && m.cols % kQ8Block != 0) t = DType::kF16;  // Q8_0 needs rows of 32s
    tensors.push_back({std::move(n), {static_cast<uint64_t>(m.cols), static_cast<uint64_t>(m.rows)}, t, &m, nullptr,
                       RowBytes(t, m.cols) * static_cast<uint64_t>(m.rows), 0});
  };
  auto add_vec = [&](std::string n, const float* v) {
    tensors.push_back({std::move(n), {static_cast<uint64_t>(c.dim)}, DType::kF32, nullptr, v,
                       static_cast<uint64_t>(c.dim) * 4, 0});
  };
  add_matrix("token_embd.weight", model.token_embedding());
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = model.layers()[static_cast<size_t>(l)];
    std::string p = "blk." + std::to_string(l) + ".";
    add_vec(p + "attn_norm.weight", w.rms_att);
    add_matrix(p + "attn_q.weight", w.wq);
    add_matrix(p + "attn_k.weight", w.wk);
    add_matrix(p + "attn_v.weight", w.wv);
    add_matrix(p + "attn_output.weight", w.wo);
    add_vec(p + "ffn_norm.weight", w.rms_ffn);
    add_matrix(p + "ffn_gate.weight", w.w1);
    add_matrix(p + "ffn_down.weight", w.w2);
    add_matrix(p + "ffn_up.weight", w.w3);
  }
  add_vec("output_norm.weight", model.rms_final());
  if (!model.shared_classifier()) add_matrix("output.weight", model.classifier());
  uint64_t off = 0;
  for (auto& t : tensors) {
    t.offset = off;
    off = (off + t.bytes + kAlignment - 1) / kAlignment * kAlignment;
  }

  GgufFileType ftype = type == DType::kF32 ? GgufFileType::kAllF32
                       : type == DType::kF16 ? GgufFileType::kMostlyF16
                                             : GgufFileType::kMostlyQ8_0;
  std::vector<KV> kv = {
      Str("general.architecture", "llama"),
      Str("general.name", name.empty() ? "model" : name),
      U32("general.alignment", static_cast<uint32_t>(kAlignment)),
      U32("general.file_type", static_cast<uint32_t>(ftype)),
      U32("llama.context_length", static_cast<uint32_t>(c.seq_len)),
      U32("llama.embedding_length", static_cast<uint32_t>(c.dim)),
      U32("llama.block_count", static_cast<uint32_t>(c.n_layers)),
      U32("llama.feed_forward_length", static_cast<uint32_t>(c.hidden_dim)),
      U32("llama.rope.dimension_count", static_cast<uint32_t>(c.head_size())),
      U32("llama.attention.head_count", static_cast<uint32_t>(c.n_heads)),
      U32("llama.attention.head_count_kv", static_cast<uint32_t>(c.n_kv_heads)),
      F32("llama.attention.layer_norm_rms_epsilon", c.norm_eps),
      F32("llama.rope.freq_base", c.rope_theta),
      U32("llama.vocab_size", static_cast<uint32_t>(c.vocab_size)),
      Str("tokenizer.ggml.model", "llama"),
      {"tokenizer.ggml.tokens",
       [&tok](Out& o) {
         o.Pod<uint32_t>(static_cast<uint32_t>(GgufType::kArray));
         o.Pod<uint32_t>(static_cast<uint32_t>(GgufType::kString));
         o.Pod<uint64_t>(static_cast<uint64_t>(tok.vocab_size()));
         for (int i = 0; i < tok.vocab_size(); ++i) o.Str(ToSentencePiece(tok.piece(i)));
       }},
      {"tokenizer.ggml.scores",
       [&tok](Out& o) {
         o.Pod<uint32_t>(static_cast<uint32_t>(GgufType::kArray));
         o.Pod<uint32_t>(static_cast<uint32_t>(GgufType::kF32));
         o.Pod<uint64_t>(static_cast<uint64_t>(tok.vocab_size()));
         for (int i = 0; i < tok.vocab_size(); ++i) o.Pod<float>(tok.score(i));
       }},
      {"tokenizer.ggml.token_type",
       [&tok](Out& o) {
         o.Pod<uint32_t>(static_cast<uint32_t>(GgufType::kArray));
         o.Pod<uint32_t>(static_cast<uint32_t>(GgufType::kI32));
         o.Pod<uint64_t>(static_cast<uint64_t>(tok.vocab_size()));
         for (int i = 0; i < tok.vocab_size(); ++i) {
           TokenType t = TokenType::kNormal;
           const std::string& p = tok.piece(i);
           if (i == 0 && p == "<unk>") t = TokenType::kUnknown;
           else if (i == tok.bos_id() || i == tok.eos_id()) t = TokenType::kControl;
           else if (p.size() == 6 && p.rfind("<0x", 0) == 0 && p[5] == '>') t = TokenType::kByte;
           o.Pod<int32_t>(static_cast<int32_t>(t));
         }
       }},
      U32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(tok.bos_id())),
      U32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(tok.eos_id())),
      U32("tokenizer.ggml.unknown_token_id", 0),
  };

  std::string tmp = path + ".tmp";
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  if (file == nullptr) return ErrnoError(tmp, errno);
  Out o(file);
  o.Bytes("GGUF", 4);
  o.Pod<uint32_t>(3);
  o.Pod<uint64_t>(tensors.size());
  o.Pod<uint64_t>(kv.size());
  for (const auto& e : kv) {
    o.Str(e.key);
    e.write(o);
  }
  for (const auto& t : tensors) {
    o.Str(t.name);
    o.Pod<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) o.Pod(d);
    o.Pod<uint32_t>(static_cast<uint32_t>(t.type));
    o.Pod(t.offset);
  }
  o.Pad();
  std::vector<float> row;
  std::vector<uint8_t> enc;
  for (const auto& t : tensors) {
    if (t.vec != nullptr) {
      o.Bytes(t.vec, static_cast<size_t>(t.bytes));
    } else {
      const Matrix& m = *t.src;
      row.resize(static_cast<size_t>(m.cols));
      enc.resize(RowBytes(t.type, m.cols));
      for (int64_t r = 0; r < m.rows; ++r) {
        DequantizeRow(m, r, row.data());
        if (t.type == DType::kF32) {
          std::memcpy(enc.data(), row.data(), enc.size());
        } else if (t.type == DType::kF16) {
          for (int64_t j = 0; j < m.cols; ++j) {
            uint16_t h = F32ToF16(row[static_cast<size_t>(j)]);
            std::memcpy(enc.data() + 2 * j, &h, 2);
          }
        } else {
          QuantizeRowQ8_0(row.data(), reinterpret_cast<BlockQ8_0*>(enc.data()), m.cols);
        }
        o.Bytes(enc.data(), enc.size());
      }
    }
    o.Pad();
  }
  bool ok = o.ok() && std::fflush(file) == 0;
  int err = errno;
  if (std::fclose(file) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    std::remove(tmp.c_str());
    return ErrnoError("writing " + tmp, err);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return IoError("renaming " + tmp + " to " + path + ": " + ec.message());
  }
  return OkStatus();
}

}  // namespace lt::engine
