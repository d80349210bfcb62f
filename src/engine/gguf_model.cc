// GGUF -> Model: architecture metadata, tensors checked against it, and the vocabulary.
// doc/engine.md "Formats accepted" lists every key and tensor read here.
#include <cmath>
#include <cstring>

#include "engine/gguf.h"
#include "engine/model_internal.h"

namespace lt::engine {

namespace {

std::string Shape(const GgufTensorInfo& t) {
  std::string s = "[";
  for (size_t i = 0; i < t.dims.size(); ++i) s += (i ? ", " : "") + std::to_string(t.dims[i]);
  return s + "]";
}

// llama3 RoPE frequency factors from rope.scaling metadata (what the HF converter would have
// stored as rope_freqs.weight).
std::vector<float> Llama3Factors(int head, float base, float factor, float low, float high, float old_ctx) {
  std::vector<float> out;
  const float low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
  for (int i = 0; i < head; i += 2) {
    const float freq = 1.0f / std::pow(base, static_cast<float>(i) / static_cast<float>(head));
    const float wavelen = 2.0f * static_cast<float>(M_PI) / freq;
    if (wavelen < high_wavelen) {
      out.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      out.push_back(factor);
    } else {
      const float smooth = (old_ctx / wavelen - low) / (high - low);
      out.push_back(1.0f / ((1.0f - smooth) / factor + smooth));
    }
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const Model>> LoadGgufStorage(std::shared_ptr<Model::Storage> storage,
                                                     const std::string& what) {
  LT_TRY(GgufFile f, ParseGguf(storage->data, storage->size, what));
  auto bad = [&what](const std::string& m) { return Corrupt(what + ": " + m); };
  auto wrap = [&what](const Error& e) { return e.Wrap(what); };

  auto arch_name = f.GetString("general.architecture");
  if (!arch_name.ok()) return wrap(arch_name.error());
  ModelBuilder b;
  ModelConfig& c = b.config();
  if (*arch_name == "llama") {
    c.arch = Arch::kLlama;
    c.rope_style = RopeStyle::kAdjacent;
  } else if (*arch_name == "qwen2") {
    c.arch = Arch::kQwen2;
    c.rope_style = RopeStyle::kHalves;
  } else {
    return bad("architecture '" + *arch_name + "' is not supported (the engine runs llama, mistral-style llama and qwen2)");
  }
  const std::string p = *arch_name + ".";
  auto get = [&](const std::string& key, int* out) -> Status {
    auto v = f.GetInt(key);
    if (!v.ok()) return wrap(v.error());
    if (*v <= 0 || *v > INT32_MAX) return bad(key + " = " + std::to_string(*v) + " is out of range");
    *out = static_cast<int>(*v);
    return OkStatus();
  };
  LT_TRY_STATUS(get(p + "embedding_length", &c.dim));
  LT_TRY_STATUS(get(p + "feed_forward_length", &c.hidden_dim));
  LT_TRY_STATUS(get(p + "block_count", &c.n_layers));
  LT_TRY_STATUS(get(p + "attention.head_count", &c.n_heads));
  LT_TRY_STATUS(get(p + "context_length", &c.seq_len));
  c.n_kv_heads = c.n_heads;
  if (f.Find(p + "attention.head_count_kv")) LT_TRY_STATUS(get(p + "attention.head_count_kv", &c.n_kv_heads));
  if (f.Find(p + "attention.key_length")) {
    int kl = 0, vl = 0;
    LT_TRY_STATUS(get(p + "attention.key_length", &kl));
    vl = kl;
    if (f.Find(p + "attention.value_length")) LT_TRY_STATUS(get(p + "attention.value_length", &vl));
    if (kl != vl) return bad("attention.key_length and value_length differ (not supported)");
    if (c.n_heads > 0 && (c.dim % c.n_heads != 0 || kl != c.dim / c.n_heads)) c.head_dim = kl;
  }
  LT_TRY(double eps, f.GetFloat(p + "attention.layer_norm_rms_epsilon", c.arch == Arch::kQwen2 ? 1e-6 : 1e-5));
  LT_TRY(double theta, f.GetFloat(p + "rope.freq_base", 10000.0));
  c.norm_eps = static_cast<float>(eps);
  c.rope_theta = static_cast<float>(theta);
  if (const GgufValue* v = f.Find(p + "rope.dimension_count")) {
    if (!v->IsInt() || v->i != c.head_size()) {
      return bad(p + "rope.dimension_count must equal the head size (partial RoPE is not supported)");
    }
  }
  float linear_scale = 1.0f;
  std::vector<float> llama3_factors;
  if (f.Find(p + "rope.scaling.type")) {
    LT_TRY(std::string st, f.GetString(p + "rope.scaling.type"));
    LT_TRY(double factor, f.GetFloat(p + "rope.scaling.factor", 1.0));
    if (st == "linear") {
      if (!(factor > 0)) return bad("rope.scaling.factor must be positive");
      linear_scale = static_cast<float>(factor);
    } else if (st == "llama3") {
      LT_TRY(double lo, f.GetFloat(p + "rope.scaling.low_freq_factor", 1.0));
      LT_TRY(double hi, f.GetFloat(p + "rope.scaling.high_freq_factor", 4.0));
      LT_TRY(double old_ctx, f.GetFloat(p + "rope.scaling.original_context_length", 8192));
      if (!(factor > 0 && lo > 0 && hi > lo && old_ctx > 0)) return bad("rope.scaling values out of range for llama3");
      llama3_factors = Llama3Factors(c.head_size(), c.rope_theta, static_cast<float>(factor), static_cast<float>(lo),
                                     static_cast<float>(hi), static_cast<float>(old_ctx));
    } else if (st != "none") {
      return bad("rope.scaling.type '" + st + "' is not supported (none, linear, llama3)");
    }
  }

  // Vocabulary.
  VocabSpec v;
  auto tmodel = f.GetString("tokenizer.ggml.model");
  if (!tmodel.ok()) return wrap(tmodel.error());
  v.model_name = *tmodel;
  if (*tmodel == "llama") {
    v.kind = TokenizerKind::kSpm;
    v.bos = 1;
    v.eos = 2;
    v.unk = 0;
  } else if (*tmodel == "gpt2") {
    v.kind = TokenizerKind::kBpe;
    auto pre = f.GetString("tokenizer.ggml.pre");
    v.pre_name = pre.ok() ? *pre : "";
    if (v.pre_name == "llama-bpe" || v.pre_name == "llama3" || v.pre_name == "llama-v3") {
      v.pre = PreTokenizer::kLlama3;
    } else if (v.pre_name == "qwen2" || v.pre_name == "deepseek-r1-qwen") {
      v.pre = PreTokenizer::kQwen2;
    } else {
      return bad("pre-tokenizer '" + v.pre_name + "' (tokenizer.ggml.pre) is not supported (llama-bpe, qwen2)");
    }
  } else {
    return bad("tokenizer model '" + *tmodel + "' is not supported (llama = SentencePiece, gpt2 = byte-level BPE)");
  }
  auto array = [&](const char* key, GgufType elem, bool required) -> Result<const GgufValue*> {
    const GgufValue* a = f.Find(key);
    if (a == nullptr) {
      if (required) return bad(std::string(key) + " is missing");
      return static_cast<const GgufValue*>(nullptr);
    }
    if (a->type != GgufType::kArray || a->elem != elem) return bad(std::string(key) + " is not an array of the right type");
    return a;
  };
  LT_TRY(const GgufValue* tokens, array("tokenizer.ggml.tokens", GgufType::kString, true));
  LT_TRY(const GgufValue* scores, array("tokenizer.ggml.scores", GgufType::kF32, false));
  LT_TRY(const GgufValue* types, array("tokenizer.ggml.token_type", GgufType::kI32, false));
  LT_TRY(const GgufValue* merges, array("tokenizer.ggml.merges", GgufType::kString, false));
  if (v.kind == TokenizerKind::kBpe && merges == nullptr) {
    return bad("tokenizer model gpt2 needs tokenizer.ggml.merges, and the file has none");
  }
  v.tokens.reserve(tokens->arr.size());
  for (const auto& t : tokens->arr) v.tokens.push_back(t.s);
  if (scores != nullptr) {
    for (const auto& s : scores->arr) v.scores.push_back(static_cast<float>(s.f));
  }
  if (types != nullptr) {
    for (const auto& t : types->arr) v.types.push_back(static_cast<int32_t>(t.i));
  }
  if (merges != nullptr) {
    for (const auto& m : merges->arr) v.merges.push_back(m.s);
  }
  auto special = [&](const char* key, int* id) -> Status {
    if (f.Find(key) == nullptr) return OkStatus();
    auto x = f.GetInt(key);
    if (!x.ok()) return wrap(x.error());
    if (*x < 0 || *x >= static_cast<int64_t>(v.tokens.size())) {
      return bad(std::string(key) + " = " + std::to_string(*x) + " is outside the vocabulary of " +
                 std::to_string(v.tokens.size()));
    }
    *id = static_cast<int>(*x);
    return OkStatus();
  };
  LT_TRY_STATUS(special("tokenizer.ggml.bos_token_id", &v.bos));
  LT_TRY_STATUS(special("tokenizer.ggml.eos_token_id", &v.eos));
  LT_TRY_STATUS(special("tokenizer.ggml.eot_token_id", &v.eot));
  LT_TRY_STATUS(special("tokenizer.ggml.eom_token_id", &v.eom));
  LT_TRY_STATUS(special("tokenizer.ggml.unknown_token_id", &v.unk));
  LT_TRY_STATUS(special("tokenizer.ggml.padding_token_id", &v.pad));
  if (v.bos >= static_cast<int>(v.tokens.size())) v.bos = -1;
  if (v.eos >= static_cast<int>(v.tokens.size())) v.eos = -1;
  if (v.unk >= static_cast<int>(v.tokens.size())) v.unk = -1;
  auto flag = [&](const char* key, int* out) -> Status {
    const GgufValue* x = f.Find(key);
    if (x == nullptr) return OkStatus();
    if (!x->IsInt()) return bad(std::string(key) + " is not a bool");
    *out = x->i != 0 ? 1 : 0;
    return OkStatus();
  };
  LT_TRY_STATUS(flag("tokenizer.ggml.add_bos_token", &v.add_bos));
  LT_TRY_STATUS(flag("tokenizer.ggml.add_eos_token", &v.add_eos));
  LT_TRY_STATUS(flag("tokenizer.ggml.add_space_prefix", &v.add_space_prefix));
  if (f.Find("tokenizer.chat_template")) {
    LT_TRY(v.chat_template, f.GetString("tokenizer.chat_template"));
  }
  auto tok = Tokenizer::FromVocab(std::move(v));
  if (!tok.ok()) return wrap(tok.error());
  b.tokenizer() = std::move(*tok);
  c.vocab_size = b.tokenizer().vocab_size();
  LT_TRY_STATUS(c.Validate(what));
  if (auto name = f.GetString("general.name"); name.ok()) b.name() = *name;

  // Tensors, with shapes and types checked against the hyperparameters.
  auto matrix = [&](const std::string& name, int rows, int cols, Matrix* out) -> Status {
    const GgufTensorInfo* t = f.Tensor(name);
    if (t == nullptr) return bad("missing tensor " + name);
    if (t->dims.size() != 2 || t->dims[0] != static_cast<uint64_t>(cols) || t->dims[1] != static_cast<uint64_t>(rows)) {
      return bad("tensor " + name + " has shape " + Shape(*t) + ", expected [" + std::to_string(cols) + ", " +
                 std::to_string(rows) + "]");
    }
    *out = Matrix{t->type, t->data, rows, cols};
    return OkStatus();
  };
  auto vec = [&](const std::string& name, int n, bool required, const float** out) -> Status {
    const GgufTensorInfo* t = f.Tensor(name);
    if (t == nullptr) return required ? bad("missing tensor " + name) : OkStatus();
    if (t->dims.size() != 1 || t->dims[0] != static_cast<uint64_t>(n)) {
      return bad("tensor " + name + " has shape " + Shape(*t) + ", expected [" + std::to_string(n) + "]");
    }
    if (t->type == DType::kF32) {
      *out = reinterpret_cast<const float*>(t->data);
    } else if (t->type == DType::kF16 || t->type == DType::kBF16) {
      std::vector<float> x(static_cast<size_t>(n));
      DequantizeRow(t->type, t->data, x.data(), n);
      storage->floats.push_back(std::move(x));
      *out = storage->floats.back().data();
    } else {
      return bad("tensor " + name + " is " + std::string(DTypeName(t->type)) + ", but vectors must be F32, F16 or BF16");
    }
    return OkStatus();
  };
  const int dim = c.dim, kv = c.kv_dim(), qd = c.q_dim(), hid = c.hidden_dim;
  LT_TRY_STATUS(matrix("token_embd.weight", c.vocab_size, dim, &b.token_embd()));
  b.layers().resize(static_cast<size_t>(c.n_layers));
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights& w = b.layers()[static_cast<size_t>(l)];
    std::string pre = "blk." + std::to_string(l) + ".";
    LT_TRY_STATUS(vec(pre + "attn_norm.weight", dim, true, &w.rms_att));
    LT_TRY_STATUS(matrix(pre + "attn_q.weight", qd, dim, &w.wq));
    LT_TRY_STATUS(matrix(pre + "attn_k.weight", kv, dim, &w.wk));
    LT_TRY_STATUS(matrix(pre + "attn_v.weight", kv, dim, &w.wv));
    LT_TRY_STATUS(matrix(pre + "attn_output.weight", dim, qd, &w.wo));
    LT_TRY_STATUS(vec(pre + "ffn_norm.weight", dim, true, &w.rms_ffn));
    LT_TRY_STATUS(matrix(pre + "ffn_gate.weight", hid, dim, &w.w1));
    LT_TRY_STATUS(matrix(pre + "ffn_down.weight", dim, hid, &w.w2));
    LT_TRY_STATUS(matrix(pre + "ffn_up.weight", hid, dim, &w.w3));
    const bool need_bias = c.arch == Arch::kQwen2;
    LT_TRY_STATUS(vec(pre + "attn_q.bias", qd, need_bias, &w.bq));
    LT_TRY_STATUS(vec(pre + "attn_k.bias", kv, need_bias, &w.bk));
    LT_TRY_STATUS(vec(pre + "attn_v.bias", kv, need_bias, &w.bv));
    if ((w.bq == nullptr) != (w.bk == nullptr) || (w.bq == nullptr) != (w.bv == nullptr)) {
      return bad("layer " + std::to_string(l) + " has some but not all of the q/k/v biases");
    }
    if (f.Tensor(pre + "attn_output.bias") != nullptr) return bad("attn_output.bias is not supported");
  }
  LT_TRY_STATUS(vec("output_norm.weight", dim, true, &b.rms_final()));
  if (f.Tensor("output.weight") != nullptr) {
    LT_TRY_STATUS(matrix("output.weight", c.vocab_size, dim, &b.classifier()));
    b.shared_classifier() = false;
  } else {
    b.classifier() = b.token_embd();
    b.shared_classifier() = true;
  }
  const float* ff = nullptr;
  LT_TRY_STATUS(vec("rope_freqs.weight", c.head_size() / 2, false, &ff));
  if (ff == nullptr && !llama3_factors.empty()) {
    storage->floats.push_back(std::move(llama3_factors));
    ff = storage->floats.back().data();
  }
  if (linear_scale != 1.0f) {
    std::vector<float> lin(static_cast<size_t>(c.head_size() / 2), linear_scale);
    if (ff != nullptr) {
      for (size_t i = 0; i < lin.size(); ++i) lin[i] *= ff[i];
    }
    storage->floats.push_back(std::move(lin));
    ff = storage->floats.back().data();
  }
  if (ff != nullptr) {
    for (int i = 0; i < c.head_size() / 2; ++i) {
      if (!(ff[i] > 0 && ff[i] < 1e6f)) return bad("rope frequency factor " + std::to_string(i) + " out of range");
    }
  }
  b.rope_freq_factors() = ff;
  b.weight_type() = b.layers()[0].wq.type;
  b.format() = "gguf";
  b.storage() = std::move(storage);
  PackWeights(b);
  return b.Finish();
}

}  // namespace lt::engine
