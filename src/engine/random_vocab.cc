// Synthetic vocabularies for random models (random_model.h): BPE learned on a built-in corpus.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "engine/random_vocab.h"
#include "engine/unicode.h"

namespace lt::engine {

const std::string& RandomModelCorpus() {
  static const std::string kCorpus =
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
      "One day, she saw a big, red ball. She wanted to play with it, but it was too high.\n"
      "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX! Don't stop; it's fine, we'll see. "
      "I'M HERE, you're there, they've gone, he'd say, she'll know.\n"
      "Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 123 2024 31415 3.14159 1,000,000 -7 +8 100% $5.99 #1 @home\n"
      "Code: int main() { return x[i] * 2 + y->z; } // done\n"
      "def f(a, b):\n    return a ** b  # power\n\n"
      "\tTabs\tand  double  spaces   and    more     spaces.\n"
      "Caf\xC3\xA9 na\xC3\xAFve fa\xC3\xA7" "ade r\xC3\xA9sum\xC3\xA9 \xC3\x9C" "ber Stra\xC3\x9F" "e gro\xC3\x9F.\n"
      "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD0\xBC\xD0\xB8\xD1\x80, "  // Привет мир
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3\x83\x88, "  // 日本語のテキスト
      "\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xB8\x96\xE7\x95\x8C, "  // 你好世界
      "\xCE\x93\xCE\xB5\xCE\xB9\xCE\xB1 \xCF\x83\xCE\xBF\xCF\x85 \xCE\xBA\xCF\x8C\xCF\x83\xCE\xBC\xCE\xB5, "  // Γεια σου κόσμε
      "emoji \xF0\x9F\x98\x80 \xF0\x9F\x9A\x80 \xE2\x9C\x93 \xE2\x82\xAC 5\xE2\x82\xAC.\n"
      "The cat sat on the mat. The dog ran in the sun. A bird sang a song. The end of the story came soon, "
      "and everyone was happy and they played together every day after that.\n"
      "Question: what is the answer? Answer: the answer is forty-two (42).\n";
  return kCorpus;
}

namespace {

// Learns up to `budget` merges over words (each a list of symbols); returns the merges in order.
std::vector<std::pair<std::string, std::string>> LearnMerges(std::vector<std::vector<std::string>> words,
                                                             const std::vector<int>& counts, int budget) {
  std::vector<std::pair<std::string, std::string>> merges;
  while (static_cast<int>(merges.size()) < budget) {
    std::map<std::pair<std::string, std::string>, int> freq;
    for (size_t w = 0; w < words.size(); ++w) {
      for (size_t i = 0; i + 1 < words[w].size(); ++i) freq[{words[w][i], words[w][i + 1]}] += counts[w];
    }
    if (freq.empty()) break;
    auto best = freq.begin();
    for (auto it = freq.begin(); it != freq.end(); ++it) {
      if (it->second > best->second) best = it;  // ties: the lexicographically smallest pair
    }
    const auto pair = best->first;
    merges.push_back(pair);
    for (auto& w : words) {
      std::vector<std::string> out;
      for (size_t i = 0; i < w.size(); ++i) {
        if (i + 1 < w.size() && w[i] == pair.first && w[i + 1] == pair.second) {
          out.push_back(pair.first + pair.second);
          ++i;
        } else {
          out.push_back(w[i]);
        }
      }
      w.swap(out);
    }
  }
  return merges;
}

std::vector<std::string> Chars(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t n = std::min<size_t>(static_cast<size_t>(Utf8Length(static_cast<uint8_t>(s[i]))), s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

void Words(const std::vector<std::string>& list, std::vector<std::vector<std::string>>* words, std::vector<int>* counts) {
  std::map<std::string, int> c;
  for (const auto& w : list) {
    if (!w.empty()) ++c[w];
  }
  for (const auto& [w, n] : c) {
    words->push_back(Chars(w));
    counts->push_back(n);
  }
}

const char kSpm[] = "\xE2\x96\x81";

}  // namespace

SyntheticVocab MakeSyntheticVocab(const std::string& kind, int vocab) {
  SyntheticVocab v;
  const std::string& corpus = RandomModelCorpus();
  auto add = [&v](const std::string& text, TokenType type, float score) {
    v.tokens.push_back(text);
    v.types.push_back(static_cast<int32_t>(type));
    v.scores.push_back(score);
    return static_cast<int>(v.tokens.size()) - 1;
  };
  if (kind == "llama" || kind == "mistral") {
    v.bpe = false;
    v.unk = add("<unk>", TokenType::kUnknown, 0);
    v.bos = add("<s>", TokenType::kControl, 0);
    v.eos = add("</s>", TokenType::kControl, 0);
    if (kind == "mistral") {
      add("[INST]", TokenType::kControl, 0);
      add("[/INST]", TokenType::kControl, 0);
    }
    for (int b = 0; b < 256; ++b) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "<0x%02X>", b);
      add(buf, TokenType::kByte, 0);
    }
    // Words as SentencePiece sees them: "▁" for every space, one word per space-separated run.
    std::vector<std::string> list;
    std::string cur = kSpm;
    for (char ch : corpus) {
      if (ch == ' ') {
        list.push_back(cur);
        cur = kSpm;
      } else if (ch == '\n' || ch == '\t') {
        list.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
    list.push_back(cur);
    std::vector<std::vector<std::string>> words;
    std::vector<int> counts;
    Words(list, &words, &counts);
    std::map<std::string, int> chars;
    for (const auto& w : words) {
      for (const auto& c : w) chars.emplace(c, 0);
    }
    for (const auto& [c, unused] : chars) {
      if (static_cast<int>(v.tokens.size()) < vocab) add(c, TokenType::kNormal, -1e6f);
    }
    int budget = vocab - static_cast<int>(v.tokens.size());
    auto merges = LearnMerges(words, counts, std::max(0, budget));
    for (size_t r = 0; r < merges.size(); ++r) add(merges[r].first + merges[r].second, TokenType::kNormal, -static_cast<float>(r));
    v.chat_template =
        kind == "mistral"
            ? "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + "
              "message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + "
              "eos_token }}{% endif %}{% endfor %}"
            // Meta's Llama-2-chat template (the alternation check left out).
            : "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = "
              "messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false "
              "%}{% endif %}{% for message in loop_messages %}{% if loop.index0 == 0 and system_message != false "
              "%}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% "
              "else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ "
              "bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ "
              "' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
  } else {
    v.bpe = true;
    const bool llama3 = kind == "llama3";
    v.pre = llama3 ? "llama-bpe" : "qwen2";
    for (int b = 0; b < 256; ++b) add(ByteToBpeChar(static_cast<uint8_t>(b)), TokenType::kNormal, 0);
    std::vector<std::string> specials =
        llama3 ? std::vector<std::string>{"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                                          "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>",
                                          "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>",
                                          "<|python_tag|>"}
               : std::vector<std::string>{"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
    std::vector<std::string> list;
    for (const std::string& w : PreTokenize(corpus, llama3 ? PreTokenizer::kLlama3 : PreTokenizer::kQwen2)) {
      std::string e;
      for (char ch : w) e += ByteToBpeChar(static_cast<uint8_t>(ch));
      list.push_back(e);
    }
    std::vector<std::vector<std::string>> words;
    std::vector<int> counts;
    Words(list, &words, &counts);
    int budget = vocab - static_cast<int>(v.tokens.size()) - static_cast<int>(specials.size());
    auto merges = LearnMerges(words, counts, std::max(0, budget));
    for (const auto& m : merges) {
      add(m.first + m.second, TokenType::kNormal, 0);
      v.merges.push_back(m.first + " " + m.second);
    }
    while (static_cast<int>(v.tokens.size()) + static_cast<int>(specials.size()) < vocab) {
      add("<filler_" + std::to_string(v.tokens.size()) + ">", TokenType::kNormal, 0);
    }
    int first = static_cast<int>(v.tokens.size());
    for (const auto& s : specials) add(s, TokenType::kControl, 0);
    if (llama3) {
      v.bos = first;
      v.eos = first + 1;
      v.eot = first + 8;
      v.add_bos = true;
      v.chat_template =
          "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
          "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + "
          "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
          "{% endif %}";
    } else {
      v.bos = first;
      v.eos = first + 2;
      v.eot = first + 2;
      v.add_bos = false;
      v.chat_template =
          "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    }
  }
  while (static_cast<int>(v.tokens.size()) < vocab) {
    add("<filler_" + std::to_string(v.tokens.size()) + ">", TokenType::kNormal, -1e9f);
  }
  return v;
}

}  // namespace lt::engine
