#include "engine/random_model.h"

#include <cmath>
#include <cstring>
#include <functional>

#include "engine/gguf.h"
#include "engine/random_vocab.h"

namespace lt::engine {

namespace {

uint64_t SplitMix(uint64_t* s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Hash(const std::string& s, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Row r of a uniform random tensor in [center - scale/2, center + scale/2).
void RandomRow(uint64_t tensor_seed, int64_t r, float center, float scale, float* out, int64_t n) {
  uint64_t s = tensor_seed ^ (static_cast<uint64_t>(r) * 0xD1B54A32D192ED03ull);
  for (int64_t i = 0; i < n; ++i) {
    out[i] = center + (static_cast<float>(SplitMix(&s) >> 40) / static_cast<float>(1 << 24) - 0.5f) * scale;
  }
}

bool UseMoreBits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

}  // namespace

Status WriteRandomModel(const RandomModelSpec& in, const std::string& path) {
  RandomModelSpec s = in;
  const bool spm = s.kind == "llama" || s.kind == "mistral";
  if (!spm && s.kind != "llama3" && s.kind != "qwen2") {
    return InvalidArgument("--arch must be llama, llama3, qwen2 or mistral, not '" + s.kind + "'");
  }
  const bool mix_q4 = s.type == "q4_k_m", mix_q5 = s.type == "q5_k_m";
  DType base;
  if (mix_q4) {
    base = DType::kQ4_K;
  } else if (mix_q5) {
    base = DType::kQ5_K;
  } else if (auto t = DTypeFromName(s.type)) {
    base = *t;
  } else {
    return InvalidArgument("--type must be f32, f16, bf16, q4_0, q8_0, q4_k, q5_k, q6_k, q4_k_m or q5_k_m, not '" + s.type + "'");
  }
  if (s.heads <= 0 || s.dim <= 0 || s.dim % s.heads != 0 || (s.dim / s.heads) % 2 != 0) {
    return InvalidArgument("--dim must be a positive multiple of --heads with an even head size");
  }
  if (s.kv_heads == 0) s.kv_heads = s.kind == "llama" ? s.heads : std::max(1, s.heads / 4);
  if (s.kv_heads <= 0 || s.heads % s.kv_heads != 0) return InvalidArgument("--heads must be a multiple of --kv-heads");
  if (s.hidden == 0) {
    int unit = s.dim >= 512 ? 256 : 64;
    s.hidden = (s.dim * 8 / 3 + unit - 1) / unit * unit;
  }
  if (s.vocab == 0) s.vocab = spm ? 32000 : (s.kind == "llama3" ? 128256 : 151936);
  if (s.vocab < 300 || s.vocab > (1 << 20)) return InvalidArgument("--vocab must be between 300 and 1048576");
  if (s.layers <= 0 || s.layers > 512 || s.dim > 16384 || s.hidden <= 0 || s.hidden > 65536) {
    return InvalidArgument("--layers, --dim or --hidden out of range");
  }
  if (s.context < 16 || s.context > (1 << 20)) return InvalidArgument("--context must be between 16 and 1048576");
  if (s.name.empty()) s.name = "random-" + s.kind;

  const std::string arch = s.kind == "qwen2" ? "qwen2" : "llama";
  const std::string p = arch + ".";
  const int head = s.dim / s.heads, kv = s.kv_heads * head;
  const float theta = s.kind == "llama3" ? 500000.0f : (s.kind == "llama" ? 10000.0f : 1000000.0f);
  GgufWriter w;
  w.Str("general.architecture", arch);
  w.Str("general.name", s.name);
  w.U32("general.alignment", 32);
  GgufFileType ft = mix_q4 ? GgufFileType::kMostlyQ4_K_M : mix_q5 ? GgufFileType::kMostlyQ5_K_M : GgufFileType::kAllF32;
  switch (base) {
    case DType::kF16: ft = GgufFileType::kMostlyF16; break;
    case DType::kBF16: ft = GgufFileType::kMostlyBF16; break;
    case DType::kQ4_0: ft = GgufFileType::kMostlyQ4_0; break;
    case DType::kQ8_0: ft = GgufFileType::kMostlyQ8_0; break;
    case DType::kQ4_K: if (!mix_q4) ft = GgufFileType::kMostlyQ4_K_S; break;
    case DType::kQ5_K: if (!mix_q5) ft = GgufFileType::kMostlyQ5_K_S; break;
    case DType::kQ6_K: ft = GgufFileType::kMostlyQ6_K; break;
    default: break;
  }
  w.U32("general.file_type", static_cast<uint32_t>(ft));
  w.U32(p + "context_length", static_cast<uint32_t>(s.context));
  w.U32(p + "embedding_length", static_cast<uint32_t>(s.dim));
  w.U32(p + "block_count", static_cast<uint32_t>(s.layers));
  w.U32(p + "feed_forward_length", static_cast<uint32_t>(s.hidden));
  w.U32(p + "attention.head_count", static_cast<uint32_t>(s.heads));
  w.U32(p + "attention.head_count_kv", static_cast<uint32_t>(s.kv_heads));
  w.U32(p + "rope.dimension_count", static_cast<uint32_t>(head));
  w.F32(p + "rope.freq_base", theta);
  w.F32(p + "attention.layer_norm_rms_epsilon", arch == "qwen2" ? 1e-6f : 1e-5f);
  w.U32(p + "vocab_size", static_cast<uint32_t>(s.vocab));

  SyntheticVocab v = MakeSyntheticVocab(s.kind, s.vocab);
  w.Str("tokenizer.ggml.model", v.bpe ? "gpt2" : "llama");
  if (v.bpe) w.Str("tokenizer.ggml.pre", v.pre);
  w.StrArray("tokenizer.ggml.tokens", v.tokens);
  w.F32Array("tokenizer.ggml.scores", v.scores);
  w.I32Array("tokenizer.ggml.token_type", v.types);
  if (v.bpe) w.StrArray("tokenizer.ggml.merges", v.merges);
  w.U32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(v.bos));
  w.U32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(v.eos));
  if (v.eot >= 0) w.U32("tokenizer.ggml.eot_token_id", static_cast<uint32_t>(v.eot));
  if (v.unk >= 0) w.U32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(v.unk));
  if (v.bpe) w.U32("tokenizer.ggml.padding_token_id", static_cast<uint32_t>(v.bos));
  w.Bool("tokenizer.ggml.add_bos_token", v.add_bos);
  w.Bool("tokenizer.ggml.add_eos_token", false);
  w.Str("tokenizer.chat_template", v.chat_template);

  auto pick = [&](const std::string& role, int layer, int cols) {
    DType t = base;
    if ((mix_q4 || mix_q5) && (role == "output" || ((role == "attn_v" || role == "ffn_down") && UseMoreBits(layer, s.layers)))) {
      t = DType::kQ6_K;
    }
    if (RowBytes(t, cols) == 0) t = cols % 32 == 0 ? DType::kQ8_0 : DType::kF16;
    return t;
  };
  const uint64_t seed = s.seed;
  auto matrix = [&](const std::string& name, const std::string& role, int layer, int rows, int cols, float scale) {
    const DType t = pick(role, layer, cols);
    const uint64_t ts = Hash(name, seed);
    w.Tensor(name, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)}, t, [ts, t, cols, scale](int64_t r, uint8_t* out) {
      std::vector<float> row(static_cast<size_t>(cols));
      RandomRow(ts, r, 0.0f, scale, row.data(), cols);
      QuantizeRow(t, row.data(), out, cols);
    });
  };
  auto vec = [&](const std::string& name, int n, float center, float scale) {
    const uint64_t ts = Hash(name, seed);
    w.Tensor(name, {static_cast<uint64_t>(n)}, DType::kF32, [ts, n, center, scale](int64_t, uint8_t* out) {
      std::vector<float> row(static_cast<size_t>(n));
      RandomRow(ts, 0, center, scale, row.data(), n);
      std::memcpy(out, row.data(), static_cast<size_t>(n) * 4);
    });
  };
  const float in_dim = 2.0f / std::sqrt(static_cast<float>(s.dim));
  const float in_hidden = 2.0f / std::sqrt(static_cast<float>(s.hidden));
  const bool tied = s.kind == "llama3";
  // The classifier (or the tied embedding) is wide so logits spread over several units.
  matrix("token_embd.weight", "token_embd", 0, s.vocab, s.dim, tied ? 12.0f / std::sqrt(static_cast<float>(s.dim)) : 1.0f);
  for (int l = 0; l < s.layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    vec(b + "attn_norm.weight", s.dim, 1.0f, 0.4f);
    matrix(b + "attn_q.weight", "attn_q", l, s.dim, s.dim, in_dim);
    matrix(b + "attn_k.weight", "attn_k", l, kv, s.dim, in_dim);
    matrix(b + "attn_v.weight", "attn_v", l, kv, s.dim, in_dim);
    matrix(b + "attn_output.weight", "attn_output", l, s.dim, s.dim, in_dim);
    if (arch == "qwen2") {
      vec(b + "attn_q.bias", s.dim, 0.0f, 0.2f);
      vec(b + "attn_k.bias", kv, 0.0f, 0.2f);
      vec(b + "attn_v.bias", kv, 0.0f, 0.2f);
    }
    vec(b + "ffn_norm.weight", s.dim, 1.0f, 0.4f);
    matrix(b + "ffn_gate.weight", "ffn_gate", l, s.hidden, s.dim, in_dim);
    matrix(b + "ffn_down.weight", "ffn_down", l, s.dim, s.hidden, in_hidden);
    matrix(b + "ffn_up.weight", "ffn_up", l, s.hidden, s.dim, in_dim);
  }
  vec("output_norm.weight", s.dim, 1.0f, 0.2f);
  if (!tied) matrix("output.weight", "output", 0, s.vocab, s.dim, 12.0f / std::sqrt(static_cast<float>(s.dim)));
  if (s.kind == "llama3") {
    // Llama 3.2's rope_scaling: factor 32, low 1, high 4, original context 8192.
    std::vector<float> f;
    const float low_wl = 8192.0f / 1.0f, high_wl = 8192.0f / 4.0f;
    for (int i = 0; i < head; i += 2) {
      const float freq = 1.0f / std::pow(theta, static_cast<float>(i) / static_cast<float>(head));
      const float wl = 2.0f * static_cast<float>(M_PI) / freq;
      if (wl < high_wl) f.push_back(1.0f);
      else if (wl > low_wl) f.push_back(32.0f);
      else {
        const float smooth = (8192.0f / wl - 1.0f) / (4.0f - 1.0f);
        f.push_back(1.0f / ((1.0f - smooth) / 32.0f + smooth));
      }
    }
    w.Tensor("rope_freqs.weight", {static_cast<uint64_t>(f.size())}, DType::kF32,
             [f](int64_t, uint8_t* out) { std::memcpy(out, f.data(), f.size() * 4); });
  }
  return w.Write(path);
}

}  // namespace lt::engine
