// GgufWriter and WriteGguf (Model -> GGUF). See gguf.h and doc/engine.md.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "engine/gguf.h"
#include "util/fs.h"

namespace lt::engine {

namespace {

constexpr uint64_t kAlignment = 32;

template <typename T>
void Put(std::string* s, T v) {
  s->append(reinterpret_cast<const char*>(&v), sizeof v);
}
void PutStr(std::string* s, std::string_view v) {
  Put<uint64_t>(s, v.size());
  s->append(v);
}

class Out {
 public:
  explicit Out(std::FILE* f) : f_(f) {}
  void Bytes(const void* p, size_t n) {
    if (ok_ && n > 0 && std::fwrite(p, 1, n, f_) != n) ok_ = false;
    written_ += n;
  }
  void Pad() {
    static const char zeros[kAlignment] = {};
    Bytes(zeros, static_cast<size_t>((kAlignment - written_ % kAlignment) % kAlignment));
  }
  bool ok() const { return ok_; }

 private:
  std::FILE* f_;
  bool ok_ = true;
  uint64_t written_ = 0;
};

uint64_t TensorBytes(const std::vector<uint64_t>& dims, DType type) {
  uint64_t rows = 1;
  for (size_t i = 1; i < dims.size(); ++i) rows *= dims[i];
  return RowBytes(type, static_cast<int64_t>(dims[0])) * rows;
}

}  // namespace

void GgufWriter::Str(const std::string& key, const std::string& v) {
  std::string e;
  Put<uint32_t>(&e, static_cast<uint32_t>(GgufType::kString));
  PutStr(&e, v);
  kv_.push_back({key, std::move(e)});
}
void GgufWriter::U32(const std::string& key, uint32_t v) {
  std::string e;
  Put<uint32_t>(&e, static_cast<uint32_t>(GgufType::kU32));
  Put(&e, v);
  kv_.push_back({key, std::move(e)});
}
void GgufWriter::I32(const std::string& key, int32_t v) {
  std::string e;
  Put<uint32_t>(&e, static_cast<uint32_t>(GgufType::kI32));
  Put(&e, v);
  kv_.push_back({key, std::move(e)});
}
void GgufWriter::F32(const std::string& key, float v) {
  std::string e;
  Put<uint32_t>(&e, static_cast<uint32_t>(GgufType::kF32));
  Put(&e, v);
  kv_.push_back({key, std::move(e)});
}
void GgufWriter::Bool(const std::string& key, bool v) {
  std::string e;
  Put<uint32_t>(&e, static_cast<uint32_t>(GgufType::kBool));
  Put<uint8_t>(&e, v ? 1 : 0);
  kv_.push_back({key, std::move(e)});
}
void GgufWriter::StrArray(const std::string& key, std::vector<std::string> v) {
  std::string e;
  Put<uint32_t>(&e, static_cast<uint32_t>(GgufType::kArray));
  Put<uint32_t>(&e, static_cast<uint32_t>(GgufType::kString));
  Put<uint64_t>(&e, v.size());
  for (const auto& s : v) PutStr(&e, s);
  kv_.push_back({key, std::move(e)});
}
void GgufWriter::F32Array(const std::string& key, std::vector<float> v) {
  std::string e;
  Put<uint32_t>(&e, static_cast<uint32_t>(GgufType::kArray));
  Put<uint32_t>(&e, static_cast<uint32_t>(GgufType::kF32));
  Put<uint64_t>(&e, v.size());
  for (float x : v) Put(&e, x);
  kv_.push_back({key, std::move(e)});
}
void GgufWriter::I32Array(const std::string& key, std::vector<int32_t> v) {
  std::string e;
  Put<uint32_t>(&e, static_cast<uint32_t>(GgufType::kArray));
  Put<uint32_t>(&e, static_cast<uint32_t>(GgufType::kI32));
  Put<uint64_t>(&e, v.size());
  for (int32_t x : v) Put(&e, x);
  kv_.push_back({key, std::move(e)});
}

void GgufWriter::Tensor(const std::string& name, std::vector<uint64_t> dims, DType type, RowFn rows) {
  tensors_.push_back({name, std::move(dims), type, std::move(rows)});
}

Status GgufWriter::Write(const std::string& path) const {
  std::string head;
  head.append("GGUF", 4);
  Put<uint32_t>(&head, 3);
  Put<uint64_t>(&head, tensors_.size());
  Put<uint64_t>(&head, kv_.size());
  for (const auto& e : kv_) {
    PutStr(&head, e.key);
    head += e.encoded;
  }
  uint64_t off = 0;
  for (const auto& t : tensors_) {
    PutStr(&head, t.name);
    Put<uint32_t>(&head, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) Put(&head, d);
    Put<uint32_t>(&head, static_cast<uint32_t>(t.type));
    Put(&head, off);
    off = (off + TensorBytes(t.dims, t.type) + kAlignment - 1) / kAlignment * kAlignment;
  }
  std::string tmp = path + ".tmp";
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  if (file == nullptr) return ErrnoError(tmp, errno);
  Out o(file);
  o.Bytes(head.data(), head.size());
  o.Pad();
  std::vector<uint8_t> row;
  for (const auto& t : tensors_) {
    const size_t rb = RowBytes(t.type, static_cast<int64_t>(t.dims[0]));
    uint64_t rows = 1;
    for (size_t i = 1; i < t.dims.size(); ++i) rows *= t.dims[i];
    row.assign(rb, 0);
    for (uint64_t r = 0; r < rows && o.ok(); ++r) {
      t.rows(static_cast<int64_t>(r), row.data());
      o.Bytes(row.data(), rb);
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

// ---------------------------------------------------------------- Model -> GGUF

namespace {

std::string ToSentencePiece(const std::string& piece) {
  std::string out;
  for (char ch : piece) {
    if (ch == ' ') out += "\xE2\x96\x81";  // U+2581, the SentencePiece space
    else out += ch;
  }
  return out;
}

GgufFileType FileTypeOf(DType t) {
  switch (t) {
    case DType::kF16: return GgufFileType::kMostlyF16;
    case DType::kBF16: return GgufFileType::kMostlyBF16;
    case DType::kQ4_0: return GgufFileType::kMostlyQ4_0;
    case DType::kQ8_0: return GgufFileType::kMostlyQ8_0;
    case DType::kQ4_K: return GgufFileType::kMostlyQ4_K_S;
    case DType::kQ5_K: return GgufFileType::kMostlyQ5_K_S;
    case DType::kQ6_K: return GgufFileType::kMostlyQ6_K;
    default: return GgufFileType::kAllF32;
  }
}

}  // namespace

Status WriteGguf(const Model& model, DType type, const std::string& path, const std::string& name) {
  const ModelConfig& c = model.config();
  const Tokenizer& tok = model.tokenizer();
  const std::string arch(ArchName(c.arch));
  const std::string p = arch + ".";
  GgufWriter w;
  w.Str("general.architecture", arch);
  w.Str("general.name", name.empty() ? (model.name().empty() ? "model" : model.name()) : name);
  w.U32("general.alignment", static_cast<uint32_t>(kAlignment));
  w.U32("general.file_type", static_cast<uint32_t>(FileTypeOf(type)));
  w.U32(p + "context_length", static_cast<uint32_t>(c.seq_len));
  w.U32(p + "embedding_length", static_cast<uint32_t>(c.dim));
  w.U32(p + "block_count", static_cast<uint32_t>(c.n_layers));
  w.U32(p + "feed_forward_length", static_cast<uint32_t>(c.hidden_dim));
  w.U32(p + "rope.dimension_count", static_cast<uint32_t>(c.head_size()));
  w.U32(p + "attention.head_count", static_cast<uint32_t>(c.n_heads));
  w.U32(p + "attention.head_count_kv", static_cast<uint32_t>(c.n_kv_heads));
  if (c.head_dim > 0) {
    w.U32(p + "attention.key_length", static_cast<uint32_t>(c.head_dim));
    w.U32(p + "attention.value_length", static_cast<uint32_t>(c.head_dim));
  }
  w.F32(p + "attention.layer_norm_rms_epsilon", c.norm_eps);
  w.F32(p + "rope.freq_base", c.rope_theta);
  w.U32(p + "vocab_size", static_cast<uint32_t>(c.vocab_size));

  std::vector<std::string> texts;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (int i = 0; i < tok.vocab_size(); ++i) {
    scores.push_back(tok.score(i));
    if (tok.kind() == TokenizerKind::kLlama2c) {
      const std::string& piece = tok.piece(i);
      TokenType t = TokenType::kNormal;
      if (i == 0 && piece == "<unk>") t = TokenType::kUnknown;
      else if (i == tok.bos_id() || i == tok.eos_id()) t = TokenType::kControl;
      else if (piece.size() == 6 && piece.rfind("<0x", 0) == 0 && piece[5] == '>') t = TokenType::kByte;
      texts.push_back(ToSentencePiece(piece));
      types.push_back(static_cast<int32_t>(t));
    } else {
      texts.push_back(tok.text(i));
      types.push_back(static_cast<int32_t>(tok.type(i)));
    }
  }
  w.Str("tokenizer.ggml.model", tok.kind() == TokenizerKind::kBpe ? "gpt2" : "llama");
  if (tok.kind() == TokenizerKind::kBpe) w.Str("tokenizer.ggml.pre", tok.pre_name());
  w.StrArray("tokenizer.ggml.tokens", std::move(texts));
  w.F32Array("tokenizer.ggml.scores", std::move(scores));
  w.I32Array("tokenizer.ggml.token_type", std::move(types));
  if (tok.kind() == TokenizerKind::kBpe) w.StrArray("tokenizer.ggml.merges", tok.merges());
  if (tok.bos_id() >= 0) w.U32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(tok.bos_id()));
  if (tok.eos_id() >= 0) w.U32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(tok.eos_id()));
  if (tok.kind() == TokenizerKind::kLlama2c) {
    w.U32("tokenizer.ggml.unknown_token_id", 0);
  } else {
    if (tok.eot_id() >= 0) w.U32("tokenizer.ggml.eot_token_id", static_cast<uint32_t>(tok.eot_id()));
    w.Bool("tokenizer.ggml.add_bos_token", tok.add_bos());
    w.Bool("tokenizer.ggml.add_eos_token", tok.add_eos());
  }
  if (!tok.chat_template().empty()) w.Str("tokenizer.chat_template", tok.chat_template());

  auto matrix = [&](const std::string& n, const Matrix& m) {
    DType t = type;
    if (RowBytes(t, m.cols) == 0) t = DType::kF16;  // rows that do not divide into blocks
    const Matrix* src = &m;
    w.Tensor(n, {static_cast<uint64_t>(m.cols), static_cast<uint64_t>(m.rows)}, t, [src, t](int64_t r, uint8_t* out) {
      std::vector<float> row(static_cast<size_t>(src->cols));
      DequantizeRow(*src, r, row.data());
      QuantizeRow(t, row.data(), out, src->cols);
    });
  };
  auto vec = [&](const std::string& n, const float* v, int len) {
    w.Tensor(n, {static_cast<uint64_t>(len)}, DType::kF32,
             [v, len](int64_t, uint8_t* out) { std::memcpy(out, v, static_cast<size_t>(len) * 4); });
  };
  matrix("token_embd.weight", model.token_embedding());
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& lw = model.layers()[static_cast<size_t>(l)];
    std::string b = "blk." + std::to_string(l) + ".";
    vec(b + "attn_norm.weight", lw.rms_att, c.dim);
    matrix(b + "attn_q.weight", lw.wq);
    matrix(b + "attn_k.weight", lw.wk);
    matrix(b + "attn_v.weight", lw.wv);
    matrix(b + "attn_output.weight", lw.wo);
    if (lw.bq != nullptr) {
      vec(b + "attn_q.bias", lw.bq, c.q_dim());
      vec(b + "attn_k.bias", lw.bk, c.kv_dim());
      vec(b + "attn_v.bias", lw.bv, c.kv_dim());
    }
    vec(b + "ffn_norm.weight", lw.rms_ffn, c.dim);
    matrix(b + "ffn_gate.weight", lw.w1);
    matrix(b + "ffn_down.weight", lw.w2);
    matrix(b + "ffn_up.weight", lw.w3);
  }
  vec("output_norm.weight", model.rms_final(), c.dim);
  if (!model.shared_classifier()) matrix("output.weight", model.classifier());
  if (model.rope_freq_factors() != nullptr) vec("rope_freqs.weight", model.rope_freq_factors(), c.head_size() / 2);
  return w.Write(path);
}

}  // namespace lt::engine
