// Random models: complete GGUF files of the architectures the engine runs, with weights drawn
// from a seed and a synthetic tokenizer of the architecture's kind, for tests and benchmarks
// (no real weights can be downloaded here). `lt model random` writes them.
//
// Kinds: llama (SentencePiece, llama-2 style), mistral (llama architecture, GQA, SentencePiece
// with [INST] control tokens, RoPE base 1e6), llama3 (byte-level BPE `llama-bpe`, GQA, RoPE base
// 5e5 with llama3 frequency factors in rope_freqs.weight, tied embeddings) and qwen2 (`qwen2`
// architecture and pre-tokenizer, q/k/v biases, RoPE on halves). The vocabulary is learned by BPE
// on a built-in corpus (English, digits, punctuation, a few scripts) up to the requested size,
// then padded with unreachable filler tokens; special tokens and the family's canonical chat
// template are included (llama: Meta's Llama-2-chat, mistral: Mistral-7B-Instruct v0.1, llama3:
// Meta's Llama-3-instruct, qwen2: ChatML; engine/chat_template.h renders them). Weights: uniform, scaled by 1/sqrt(fan-in); the classifier wider so greedy decoding has
// clear winners. Types: any weight type of quant.h, or the mixes q4_k_m / q5_k_m (Q6_K for the
// classifier and for attn_v and ffn_down of some layers, as llama.cpp's mixes). A matrix whose
// rows do not divide into the type's blocks is stored as Q8_0 when they divide by 32, else F16.
// Thread-safety: pure function of its inputs, writes one file (temporary name, then rename).
#ifndef LT_ENGINE_RANDOM_MODEL_H_
#define LT_ENGINE_RANDOM_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace lt::engine {

struct RandomModelSpec {
  std::string kind = "llama";  // llama | mistral | llama3 | qwen2
  std::string type = "f32";    // f32 f16 bf16 q4_0 q8_0 q4_k q5_k q6_k q4_k_m q5_k_m
  int dim = 256;
  int hidden = 0;    // 0: the family's ratio, rounded to a multiple of 256 (64 for small dims)
  int layers = 2;
  int heads = 4;
  int kv_heads = 0;  // 0: the family's default (all heads for llama, a quarter for the others)
  int vocab = 0;     // 0: 32000 for the SentencePiece kinds, 128256 llama3, 151936 qwen2
  int context = 2048;
  uint64_t seed = 1;
  std::string name;  // general.name (default: "random-<kind>")
};

// Validates the spec (kCInvalidArgument naming the flag) and writes the model to `path`.
Status WriteRandomModel(const RandomModelSpec& spec, const std::string& path);

// The built-in text the synthetic vocabularies are learned from (also a tokenization corpus).
const std::string& RandomModelCorpus();

}  // namespace lt::engine

#endif  // LT_ENGINE_RANDOM_MODEL_H_
