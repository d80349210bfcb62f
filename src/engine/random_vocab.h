// Internal to the engine library (random_model.cc): the synthetic vocabulary of a random model.
#ifndef LT_ENGINE_RANDOM_VOCAB_H_
#define LT_ENGINE_RANDOM_VOCAB_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/random_model.h"
#include "engine/tokenizer.h"

namespace lt::engine {

struct SyntheticVocab {
  bool bpe = false;
  std::string pre;  // llama-bpe | qwen2 (bpe only)
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  std::vector<std::string> merges;
  int bos = -1, eos = -1, eot = -1, unk = -1;
  bool add_bos = true;
  std::string chat_template;
};

// kind: llama | mistral | llama3 | qwen2; exactly `vocab` tokens.
SyntheticVocab MakeSyntheticVocab(const std::string& kind, int vocab);

}  // namespace lt::engine

#endif  // LT_ENGINE_RANDOM_VOCAB_H_
