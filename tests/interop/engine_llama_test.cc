// The built-in engine against llama.cpp (node-llama-cpp 3.21.1 from npm, its prebuilt CPU
// binary; tests/llama/peer.mjs) on the same synthetic GGUF files, written by `lt model random`:
//  - for each architecture (llama, llama3, qwen2, mistral): identical tokenization of a corpus
//    (Unicode, digits, whitespace runs, special tokens), with and without special parsing;
//  - for each architecture x F32, F16, Q8_0: identical greedy tokens for 64 steps from the same
//    BOS-prefixed prompt;
//  - for each architecture: a conversation rendered by engine/chat_template.h gives the tokens
//    of the GGUF's own Jinja chat template run by @huggingface/jinja and tokenized by llama.cpp;
//  - with the real Qwen2.5, Llama-3.1 and Mistral-7B-Instruct-v0.3 templates (tests/llama/
//    templates): conversations with tools, tool calls and tool results render to the same text
//    and tokens;
//  - for each architecture x the 4-, 5- and 6-bit types, BF16 and the q4_k_m mix: greedy
//    agreement >= 95% over a teacher-forced sequence.
// Skipped, with a message, when node or tests/llama/node_modules is missing (make deps).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>

#include "engine/chat_template.h"
#include "engine/forward.h"
#include "engine/model.h"
#include "engine/random_model.h"
#include "engine/tool_json.h"
#include "support/process.h"

namespace lt::test {
namespace {

using nlohmann::json;
namespace eng = lt::engine;

const char* const kArchs[] = {"llama", "llama3", "qwen2", "mistral"};

std::string LlamaDir() { return std::string(LT_SOURCE_DIR) + "/tests/llama"; }

class EngineLlamaCppTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dir_ = new std::string(TempDir("lt-engine-llama")); }

  void SetUp() override {
    node_ = FindProgram("node");
    if (node_.empty()) GTEST_SKIP() << "node is not installed: llama.cpp interop skipped (make deps)";
    if (::access((LlamaDir() + "/node_modules/node-llama-cpp").c_str(), F_OK) != 0) {
      GTEST_SKIP() << "node-llama-cpp is not installed in " << LlamaDir() << "/node_modules (make npm-deps)";
    }
  }

  // A small model of `arch` and `type`, written once by `lt model random`.
  static std::string ModelFile(const std::string& arch, const std::string& type) {
    std::string path = *dir_ + "/" + arch + "-" + type + ".gguf";
    if (::access(path.c_str(), F_OK) != 0) {
      auto r = RunLt({"model", "random", "--arch", arch, "--type", type, "--dim", "256", "--hidden", "512", "--layers",
                      "2", "--heads", "4", "--vocab", "1200", "--context", "512", "--seed", "7", "--out", path});
      EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    }
    return path;
  }

  json Peer(const json& jobs) {
    auto r = lt::test::Run(node_, {LlamaDir() + "/peer.mjs"}, json{{"jobs", jobs}}.dump(), 300000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return json::array();
    return json::parse(r.out)["results"];
  }

  static std::shared_ptr<const eng::Model> Load(const std::string& path) {
    auto m = eng::Model::Load(path);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() ? *m : nullptr;
  }

  // Our greedy continuation: the prompt prefilled in one batch, then one token per step.
  static std::vector<int> Greedy(const std::shared_ptr<const eng::Model>& m, const std::vector<int>& prompt, int n) {
    eng::ThreadPool pool(1);
    eng::RunState st(m);
    const int vocab = m->config().vocab_size;
    float* l = st.Forward(prompt.data(), static_cast<int>(prompt.size()), 0, &pool);
    std::vector<int> out;
    int pos = static_cast<int>(prompt.size());
    for (int i = 0; i < n; ++i) {
      int t = static_cast<int>(std::max_element(l, l + vocab) - l);
      out.push_back(t);
      l = st.Forward(t, pos++, &pool);
    }
    return out;
  }

  static std::vector<int> Prompt(const eng::Model& m) {
    std::vector<int> p;
    p.push_back(std::max(0, m.tokenizer().bos_id()));
    for (int t : m.tokenizer().Tokenize("Once upon a time, there was a little girl", false, false)) p.push_back(t);
    return p;
  }

  std::string node_;
  static std::string* dir_;
};
std::string* EngineLlamaCppTest::dir_ = nullptr;

std::vector<std::string> Corpus() {
  return {
      eng::RandomModelCorpus(),
      "Hello world",
      " leading space, and trailing space ",
      "   three spaces, then\ttab\t\tand\n\nnewlines\r\n\r\nand CRLF",
      "digits 1 12 123 1234 12345 123456 3.14159 2,147,483,647 0x1F",
      "Caf\xC3\xA9 \xC3\xBC\xC3\xB6\xC3\xA4 \xC3\x9F \xE6\x97\xA5\xE6\x9C\xAC \xD0\x9F\xD1\x80\xD0\xB8 \xEC\x95\x88\xEB\x85\x95 "
      "\xF0\x9F\x99\x82 \xF0\x9F\x98\x80\xF0\x9F\x98\x80",
      "don't DON'T it's I'M we'll you'RE they've he'd 'tis",
      "<s>[INST] special? [/INST]</s> <|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
      "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|endoftext|>",
      "",
      " ",
      "\n",
      "a",
      "!!!???...",
      "mixed123abc456DEF 7x 8 9",
  };
}

TEST_F(EngineLlamaCppTest, TokenizationIsIdentical) {
  json jobs = json::array();
  for (const char* arch : kArchs) {
    for (bool special : {false, true}) {
      jobs.push_back({{"op", "tokenize"}, {"model", ModelFile(arch, "q8_0")}, {"texts", Corpus()}, {"special", special}});
    }
  }
  json res = Peer(jobs);
  ASSERT_EQ(res.size(), jobs.size());
  size_t k = 0;
  for (const char* arch : kArchs) {
    auto m = Load(ModelFile(arch, "q8_0"));
    ASSERT_NE(m, nullptr);
    for (bool special : {false, true}) {
      const json& got = res[k++]["tokens"];
      auto texts = Corpus();
      for (size_t i = 0; i < texts.size(); ++i) {
        std::vector<int> ours = m->tokenizer().Tokenize(texts[i], false, special);
        std::vector<int> theirs = got[i].get<std::vector<int>>();
        EXPECT_EQ(ours, theirs) << arch << " special=" << special << " text " << i << ": " << json(texts[i]).dump();
      }
    }
  }
}

// Conversations as OpenAI messages; `folded` is what a template without a system role is given
// (mistral's: the system text in front of the first user turn, as engine/chat_template.h does).
json Conversations(bool folded) {
  json sys = {{"role", "system"}, {"content", "You are a storyteller. Be brief."}};
  json u1 = {{"role", "user"}, {"content", "Tell me about Lily's cat,\nplease!"}};
  json a1 = {{"role", "assistant"}, {"content", " Lily had a cat named Tom. "}};
  json u2 = {{"role", "user"}, {"content", "What did Tom eat?  Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC 123"}};
  json u1s = {{"role", "user"}, {"content", "You are a storyteller. Be brief.\n\nTell me about Lily's cat,\nplease!"}};
  return json::array({json::array({u1}), json::array({u1, a1, u2}),
                      folded ? json::array({u1s, a1, u2}) : json::array({sys, u1, a1, u2})});
}

TEST_F(EngineLlamaCppTest, ChatTemplatesRenderTheTokensOfTheGgufTemplate) {
  json jobs = json::array();
  for (const char* arch : kArchs) {
    jobs.push_back({{"op", "chat"}, {"model", ModelFile(arch, "q8_0")},
                    {"conversations", Conversations(std::string(arch) == "mistral")}});
  }
  json res = Peer(jobs);
  ASSERT_EQ(res.size(), jobs.size());
  size_t k = 0;
  for (const char* arch : kArchs) {
    auto m = Load(ModelFile(arch, "q8_0"));
    ASSERT_NE(m, nullptr);
    const json& got = res[k++];
    eng::ChatFamily family = eng::ChatFamilyOf(m->tokenizer());
    EXPECT_NE(family, eng::ChatFamily::kDefault) << arch;
    json convs = Conversations(false);
    for (size_t i = 0; i < convs.size(); ++i) {
      std::vector<eng::ChatTurn> turns;
      for (const json& msg : convs[i]) turns.push_back({msg["role"].get<std::string>(), msg["content"].get<std::string>()});
      eng::RenderedChat r = eng::RenderChat(m->tokenizer(), family, turns);
      EXPECT_EQ(r.text, got["texts"][i].get<std::string>()) << arch << " conversation " << i;
      EXPECT_EQ(r.tokens, got["tokens"][i].get<std::vector<int>>()) << arch << " conversation " << i;
    }
  }
}

std::string ReadTemplate(const std::string& name) {
  std::ifstream f(LlamaDir() + "/templates/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Agent conversations as OpenAI messages (tool call arguments as objects, as llama.cpp hands them
// to templates; our side gets them as the JSON strings a client sends; ids of 9 characters, as
// Mistral's template demands). `single`: one call per
// assistant turn (Llama-3.1's template refuses more).
nlohmann::ordered_json ToolConversations(bool single) {
  using json = nlohmann::ordered_json;  // a call's function is {"name", "arguments"}, in that order
  json sys = {{"role", "system"}, {"content", " You run errands. "}};
  json u1 = {{"role", "user"}, {"content", "What is the weather in Paris?  Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC"}};
  auto call = [](const std::string& id, const std::string& name, json args) {
    return json{{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", args}}}};
  };
  json a1 = {{"role", "assistant"}, {"content", nullptr},
             {"tool_calls", json::array({call("callabc01", "get_weather", {{"city", "Paris"}, {"days", 2}})})}};
  json t1 = {{"role", "tool"}, {"tool_call_id", "callabc01"}, {"content", "{\"temp\": 22, \"sky\": \"clear\"}"}};
  json a2 = {{"role", "assistant"}, {"content", "It is 22 degrees and clear."}};
  json u2 = {{"role", "user"}, {"content", "And tomorrow in Rome?"}};
  json convs = json::array({json::array({u1}), json::array({sys, u1, a1, t1}), json::array({sys, u1, a1, t1, a2, u2})});
  if (!single) {
    json a3 = {{"role", "assistant"}, {"content", "Looking both up."},
               {"tool_calls", json::array({call("callabc02", "get_weather", {{"city", "Rome"}}),
                                           call("callabc03", "search", {{"query", "Rome \"events\""}})})}};
    json t2 = {{"role", "tool"}, {"tool_call_id", "callabc02"}, {"content", "rain"}};
    json t3 = {{"role", "tool"}, {"tool_call_id", "callabc03"}, {"content", "a concert"}};
    convs.push_back(json::array({sys, u1, a1, t1, a2, u2, a3, t2, t3}));
  }
  return convs;
}

json Tools() {
  return json::parse(R"([{"type":"function","function":{"name":"get_weather","description":"The weather in a city",
      "parameters":{"type":"object","properties":{"city":{"type":"string","description":"City name"},
      "days":{"type":"integer","enum":[1,2,3]}},"required":["city"]}}},
      {"type":"function","function":{"name":"search","description":"Search the web for \"events\"",
      "parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}}}])");
}

std::vector<eng::ChatTurn> Turns(const nlohmann::ordered_json& conv) {
  using json = nlohmann::ordered_json;
  std::vector<eng::ChatTurn> turns;
  for (const json& msg : conv) {
    eng::ChatTurn t{msg["role"].get<std::string>(), msg["content"].is_string() ? msg["content"].get<std::string>() : ""};
    if (msg.contains("tool_calls")) {
      for (const json& c : msg["tool_calls"]) {
        t.tool_calls.push_back({c["id"], c["function"]["name"], c["function"]["arguments"].dump()});
      }
    }
    if (msg.contains("tool_call_id")) t.tool_call_id = msg["tool_call_id"];
    turns.push_back(std::move(t));
  }
  return turns;
}

// The real templates of three tool-capable families, run by Jinja on the synthetic models'
// vocabularies (their markers are the same tokens): with and without tools, every conversation
// renders to the same text and tokens.
TEST_F(EngineLlamaCppTest, ToolConversationsRenderAsTheRealQwen25Llama31AndMistralV03Templates) {
  struct Case {
    const char* arch;
    const char* file;
    bool single;
  };
  const Case cases[] = {{"qwen2", "qwen2.5-instruct.jinja", false},
                        {"llama3", "llama-3.1-instruct.jinja", true},
                        {"mistral", "mistral-7b-instruct-v0.3.jinja", false}};
  std::string tools_text = "[";
  for (const json& t : Tools()) tools_text += (tools_text.size() > 1 ? "," : "") + eng::CanonicalTool(t).dump();
  tools_text += "]";
  json jobs = json::array();
  for (const Case& c : cases) {
    std::string tmpl = ReadTemplate(c.file);
    ASSERT_FALSE(tmpl.empty()) << c.file;
    json job = {{"op", "chat"}, {"model", ModelFile(c.arch, "q8_0")}, {"template", tmpl},
                {"conversations", ToolConversations(c.single).dump()}};
    jobs.push_back(job);
    job["tools"] = tools_text;
    jobs.push_back(job);
  }
  json res = Peer(jobs);
  ASSERT_EQ(res.size(), jobs.size());
  size_t k = 0;
  for (const Case& c : cases) {
    auto m = Load(ModelFile(c.arch, "q8_0"));
    ASSERT_NE(m, nullptr);
    eng::ChatFormat f = eng::DetectChatFormat(ReadTemplate(c.file));
    const std::string arch = c.arch;
    EXPECT_TRUE(arch == "qwen2" ? !f.default_system.empty() : arch == "llama3" ? f.llama31 : f.mistral_tools) << c.file;
    for (bool with_tools : {false, true}) {
      const json& got = res[k++];
      nlohmann::ordered_json convs = ToolConversations(c.single);
      for (size_t i = 0; i < convs.size(); ++i) {
        eng::RenderedChat r = eng::RenderChat(m->tokenizer(), f, Turns(convs[i]), with_tools ? Tools() : json());
        EXPECT_EQ(r.text, got["texts"][i].get<std::string>()) << c.file << " tools=" << with_tools << " conversation " << i;
        EXPECT_EQ(r.tokens, got["tokens"][i].get<std::vector<int>>()) << c.file << " tools=" << with_tools << " conversation " << i;
      }
    }
  }
}

TEST_F(EngineLlamaCppTest, GreedyTokensAreIdenticalForF32F16AndQ8_0) {
  const char* const types[] = {"f32", "f16", "q8_0"};
  json jobs = json::array();
  std::vector<std::vector<int>> ours;
  std::vector<std::string> names;
  for (const char* arch : kArchs) {
    for (const char* type : types) {
      auto m = Load(ModelFile(arch, type));
      ASSERT_NE(m, nullptr);
      std::vector<int> prompt = Prompt(*m);
      jobs.push_back({{"op", "greedy"}, {"model", ModelFile(arch, type)}, {"prompt", prompt}, {"n", 64}});
      ours.push_back(Greedy(m, prompt, 64));
      names.push_back(std::string(arch) + " " + type);
    }
  }
  json res = Peer(jobs);
  ASSERT_EQ(res.size(), jobs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i], res[i]["tokens"].get<std::vector<int>>()) << names[i];
  }
}

TEST_F(EngineLlamaCppTest, GreedyAgreementOfLowBitTypesIsAtLeast95Percent) {
  const char* const types[] = {"q4_0", "q4_k", "q5_k", "q6_k", "bf16", "q4_k_m"};
  json jobs = json::array();
  std::vector<std::vector<int>> ours;
  std::vector<std::string> names;
  for (const char* arch : kArchs) {
    for (const char* type : types) {
      auto m = Load(ModelFile(arch, type));
      ASSERT_NE(m, nullptr);
      // Teacher-forced along the tokenized corpus (about 200 positions).
      std::vector<int> seq = Prompt(*m);
      for (int t : m->tokenizer().Tokenize(eng::RandomModelCorpus(), false, false)) {
        if (seq.size() < 200) seq.push_back(t);
      }
      eng::ThreadPool pool(1);
      eng::RunState st(m);
      const int vocab = m->config().vocab_size;
      float* l = st.Forward(seq.data(), static_cast<int>(seq.size()), 0, &pool, /*all_logits=*/true);
      std::vector<int> argmax;
      for (size_t p = 0; p < seq.size(); ++p) {
        const float* row = l + p * static_cast<size_t>(vocab);
        argmax.push_back(static_cast<int>(std::max_element(row, row + vocab) - row));
      }
      ours.push_back(argmax);
      jobs.push_back({{"op", "teacher"}, {"model", ModelFile(arch, type)}, {"tokens", seq}});
      names.push_back(std::string(arch) + " " + type);
    }
  }
  json res = Peer(jobs);
  ASSERT_EQ(res.size(), jobs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    std::vector<int> theirs = res[i]["argmax"].get<std::vector<int>>();
    ASSERT_EQ(theirs.size(), ours[i].size()) << names[i];
    size_t same = 0;
    for (size_t p = 0; p < theirs.size(); ++p) same += theirs[p] == ours[i][p];
    double share = static_cast<double>(same) / static_cast<double>(theirs.size());
    EXPECT_GE(share, 0.95) << names[i] << ": " << same << " of " << theirs.size();
    std::printf("  %-16s argmax agreement with llama.cpp %zu/%zu\n", names[i].c_str(), same, theirs.size());
  }
}

}  // namespace
}  // namespace lt::test
