#include "engine/chat_template.h"

#include <optional>

#include "engine/tool_json.h"

namespace lt::engine {

namespace {

bool Has(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Python's str.strip() and Jinja's trim for ASCII whitespace.
std::string Strip(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

// The prompt as pieces of text and special tokens, tokenized at the end.
class Builder {
 public:
  explicit Builder(const Tokenizer& tok) : tok_(tok) {}

  void Text(std::string_view s) {
    run_ += s;
    out_.text += s;
  }
  void Token(int id) {
    if (id < 0) return;
    Flush();
    out_.tokens.push_back(id);
    out_.text += tok_.text(id);
  }
  // A family's marker: its special token when the vocabulary has it as one, else its text.
  void Marker(std::string_view s) {
    int id = tok_.Find(s);
    if (id >= 0 && (tok_.type(id) == TokenType::kControl || tok_.type(id) == TokenType::kUserDefined)) {
      Token(id);
    } else {
      Text(s);
    }
  }
  // Template text: the tool markers in it become their tokens when the vocabulary has them
  // (llama.cpp tokenizes the rendered prompt with special parsing; message texts never do).
  void Template(std::string_view s) {
    static constexpr std::string_view kMarkers[] = {"<tool_call>", "</tool_call>", "<tool_response>",
                                                    "</tool_response>"};
    while (!s.empty()) {
      size_t at = std::string_view::npos;
      std::string_view which;
      for (std::string_view m : kMarkers) {
        size_t p = s.find(m);
        if (p < at) {
          at = p;
          which = m;
        }
      }
      if (at == std::string_view::npos) break;
      Text(s.substr(0, at));
      Marker(which);
      s.remove_prefix(at + which.size());
    }
    Text(s);
  }
  RenderedChat Finish(ChatFamily family) {
    Flush();
    out_.family = family;
    return std::move(out_);
  }

 private:
  void Flush() {
    if (run_.empty()) return;
    std::vector<int> t = tok_.Tokenize(run_, false, false);
    out_.tokens.insert(out_.tokens.end(), t.begin(), t.end());
    run_.clear();
  }

  const Tokenizer& tok_;
  std::string run_;
  RenderedChat out_;
};

bool HasTools(const nlohmann::json& tools) { return tools.is_array() && !tools.empty(); }

// The tools, one JSON line each (the plain-text format and Hermes' <tools> block).
std::string ToolLines(const nlohmann::json& tools, int indent, std::string_view before, std::string_view after) {
  std::string out;
  for (const auto& t : tools) out += std::string(before) + JinjaJson(CanonicalTool(t), indent) + std::string(after);
  return out;
}

// developer -> system, function -> tool.
std::vector<ChatTurn> Normalize(const std::vector<ChatTurn>& turns) {
  std::vector<ChatTurn> out = turns;
  for (ChatTurn& n : out) {
    if (n.role == "developer") n.role = "system";
    if (n.role == "function") n.role = "tool";
  }
  return out;
}

// The plain-text tool format (families without a tool-capable template): calls and results
// become text, tool results user turns (kDefault keeps them apart: tool_role), and the
// preamble a system turn after the leading ones.
std::vector<ChatTurn> PlainTools(std::vector<ChatTurn> turns, const nlohmann::json& tools, std::string_view tool_role) {
  for (ChatTurn& t : turns) {
    if (t.role == "assistant" && !t.tool_calls.empty()) {
      for (const ChatToolCall& c : t.tool_calls) {
        if (!t.text.empty()) t.text += "\n";
        t.text += "<tool_call>{\"name\": " + JinjaJson(c.name) + ", \"arguments\": " + TemplateArguments(c.arguments) +
                  "}</tool_call>";
      }
      t.tool_calls.clear();
    } else if (t.role == "tool") {
      t.role = std::string(tool_role);
      t.text = "<tool_response>" + t.text + "</tool_response>";
    }
  }
  if (HasTools(tools)) {
    size_t i = 0;
    while (i < turns.size() && turns[i].role == "system") ++i;
    turns.insert(turns.begin() + static_cast<std::ptrdiff_t>(i),
                 ChatTurn{"system", std::string(kToolsPreamble) + ToolLines(tools, 0, "\n", "")});
  }
  return turns;
}

// llama-2 and mistral: strictly alternating user/assistant turns. Leading system text is returned
// apart (llama-2's <<SYS>>); later system turns become user text; same-role turns are joined.
std::vector<ChatTurn> Alternate(std::vector<ChatTurn> turns, std::string* system) {
  size_t i = 0;
  for (; i < turns.size() && turns[i].role == "system"; ++i) {
    if (!system->empty()) *system += "\n\n";
    *system += turns[i].text;
  }
  std::vector<ChatTurn> out;
  for (; i < turns.size(); ++i) {
    ChatTurn t = std::move(turns[i]);
    if (t.role == "system") t.role = "user";
    if (!out.empty() && out.back().role == t.role) {
      out.back().text += "\n\n" + t.text;
    } else {
      out.push_back(std::move(t));
    }
  }
  if (!system->empty() && (out.empty() || out.front().role != "user")) out.insert(out.begin(), ChatTurn{"user", ""});
  return out;
}

// Meta's Llama-2-chat template: <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant} </s>...
void RenderLlama2(Builder& b, const Tokenizer& tok, std::vector<ChatTurn> turns) {
  std::string system;
  turns = Alternate(std::move(turns), &system);
  for (size_t i = 0; i < turns.size(); ++i) {
    std::string content = turns[i].text;
    if (i == 0 && !system.empty()) content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content;
    if (turns[i].role == "user") {
      b.Token(tok.bos_id());
      b.Marker("[INST]");
      b.Text(" " + Strip(content) + " ");
      b.Marker("[/INST]");
    } else {
      b.Text(" " + Strip(content) + " ");
      b.Token(tok.eos_id());
    }
  }
}

// Mistral-7B-Instruct v0.1: <s>[INST] {system}\n\n{user} [/INST]{assistant}</s>[INST] ...
void RenderMistral(Builder& b, const Tokenizer& tok, std::vector<ChatTurn> turns) {
  std::string system;
  turns = Alternate(std::move(turns), &system);
  if (!system.empty()) turns.front().text = system + "\n\n" + turns.front().text;
  b.Token(tok.bos_id());
  for (const ChatTurn& t : turns) {
    if (t.role == "user") {
      b.Marker("[INST]");
      b.Text(" " + t.text + " ");
      b.Marker("[/INST]");
    } else {
      b.Text(t.text);
      b.Token(tok.eos_id());
    }
  }
}

// Mistral-7B-Instruct v0.3 (a template with [AVAILABLE_TOOLS]): <s>[INST] U[/INST] A</s>...,
// the tools before the last user turn, the system text in front of the last turn when that is a
// user turn (else nowhere, as that template does), calls and results in their blocks.
void RenderMistralV3(Builder& b, const Tokenizer& tok, std::vector<ChatTurn> turns, const nlohmann::json& tools) {
  std::optional<std::string> system;
  size_t start = 0;
  if (!turns.empty() && turns[0].role == "system") {
    system = turns[0].text;
    start = 1;
  }
  for (ChatTurn& t : turns) {
    if (t.role == "system") t.role = "user";  // only the first may be a system turn
  }
  size_t last_user = turns.size();
  for (size_t k = start; k < turns.size(); ++k) {
    if (turns[k].role == "user") last_user = k;
  }
  b.Token(tok.bos_id());
  for (size_t k = start; k < turns.size(); ++k) {
    const ChatTurn& t = turns[k];
    if (t.role == "user") {
      if (HasTools(tools) && k == last_user) {
        std::string list;
        for (const auto& tool : tools) {
          nlohmann::ordered_json fn = CanonicalTool(tool)["function"];
          std::string fields;
          for (auto it = fn.begin(); it != fn.end(); ++it) {
            if (it.key() == "return") continue;
            if (!fields.empty()) fields += ", ";
            fields += "\"" + it.key() + "\": " +
                      (it->is_string() ? "\"" + it->get<std::string>() + "\"" : JinjaJson(it.value()));
          }
          list += (list.empty() ? "" : ", ") + std::string("{\"type\": \"function\", \"function\": {") + fields + "}}";
        }
        b.Marker("[AVAILABLE_TOOLS]");
        b.Text(" [" + list + "]");
        b.Marker("[/AVAILABLE_TOOLS]");
      }
      b.Marker("[INST]");
      b.Text(" " + (k + 1 == turns.size() && system ? *system + "\n\n" : std::string()) + t.text);
      b.Marker("[/INST]");
    } else if (t.role == "tool") {
      b.Marker("[TOOL_RESULTS]");
      b.Text(" {\"content\": " + t.text + ", \"call_id\": \"" + t.tool_call_id + "\"}");
      b.Marker("[/TOOL_RESULTS]");
    } else if (!t.tool_calls.empty()) {
      std::string list;
      for (const ChatToolCall& c : t.tool_calls) {
        list += (list.empty() ? "" : ", ") + std::string("{\"name\": ") + JinjaJson(c.name) +
                ", \"arguments\": " + TemplateArguments(c.arguments) + ", \"id\": \"" + c.id + "\"}";
      }
      b.Marker("[TOOL_CALLS]");
      b.Text(" [" + list + "]");
      b.Token(tok.eos_id());
    } else {
      b.Text(" " + Strip(t.text));
      b.Token(tok.eos_id());
    }
  }
}

// Meta's Llama-3-instruct template: <|begin_of_text|> then per turn
// <|start_header_id|>{role}<|end_header_id|>\n\n{trimmed text}<|eot_id|>, then the assistant header.
// Llama-3.1's adds its system block first and JSON tool calling (chat_template.h).
void RenderLlama3(Builder& b, const Tokenizer& tok, const ChatFormat& f, const std::vector<ChatTurn>& turns,
                  const nlohmann::json& tools) {
  b.Token(tok.bos_id());
  auto header = [&](std::string_view role) {
    b.Marker("<|start_header_id|>");
    b.Text(role);
    b.Marker("<|end_header_id|>");
    b.Text("\n\n");
  };
  const bool with_tools = HasTools(tools);
  size_t i = 0;
  if (f.llama31) {
    std::string system;
    if (!turns.empty() && turns[0].role == "system") system = Strip(turns[i++].text);
    header("system");
    b.Text(std::string(with_tools ? "Environment: ipython\n" : "") +
           "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" + system);
    b.Marker("<|eot_id|>");
  }
  // Tools go into the first user turn (the 3.1 template's default, tools_in_user_message).
  size_t tools_turn = turns.size();
  for (size_t k = i; with_tools && k < turns.size(); ++k) {
    if (turns[k].role == "user") {
      tools_turn = k;
      break;
    }
  }
  for (; i < turns.size(); ++i) {
    const ChatTurn& t = turns[i];
    if (i == tools_turn) {
      header("user");
      b.Template("Given the following functions, please respond with a JSON for a function call with its proper "
                 "arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, "
                 "\"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n" +
                 ToolLines(tools, 4, "", "\n\n"));
      b.Text(Strip(t.text));
    } else if (t.role == "tool") {
      header("ipython");
      b.Text(f.llama31 ? JinjaJson(nlohmann::ordered_json(t.text)) : Strip(t.text));
    } else if (t.role == "assistant" && !t.tool_calls.empty()) {
      header("assistant");
      for (size_t k = 0; k < t.tool_calls.size(); ++k) {
        const ChatToolCall& c = t.tool_calls[k];
        b.Text((k > 0 ? "\n" : "") + std::string("{\"name\": \"") + c.name +
               "\", \"parameters\": " + TemplateArguments(c.arguments) + "}");
      }
    } else {
      header(t.role);
      b.Text(Strip(t.text));
    }
    b.Marker("<|eot_id|>");
  }
  header("assistant");
}

// ChatML: <|im_start|>{role}\n{text}<|im_end|>\n per turn, then <|im_start|>assistant\n; tools in
// Qwen2.5's Hermes style (chat_template.h).
void RenderChatml(Builder& b, const Tokenizer& tok, const ChatFormat& f, const std::vector<ChatTurn>& turns,
                  const nlohmann::json& tools) {
  if (tok.add_bos()) b.Token(tok.bos_id());
  auto turn = [&](std::string_view role, std::string_view text) {
    b.Marker("<|im_start|>");
    b.Text(std::string(role) + "\n" + std::string(text));
    b.Marker("<|im_end|>");
    b.Text("\n");
  };
  size_t i = 0;
  const bool has_system = !turns.empty() && turns[0].role == "system";
  std::string system = has_system ? turns[i++].text : f.default_system;
  if (HasTools(tools)) {
    b.Marker("<|im_start|>");
    b.Text("system\n");
    if (has_system || !f.default_system.empty()) b.Text(system + "\n\n");
    b.Template("# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with "
               "function signatures within <tools></tools> XML tags:\n<tools>" + ToolLines(tools, 0, "\n", "") +
               "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
               "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
               "<args-json-object>}\n</tool_call>");
    b.Marker("<|im_end|>");
    b.Text("\n");
  } else if (has_system || !system.empty()) {
    turn("system", system);
  }
  for (; i < turns.size(); ++i) {
    const ChatTurn& t = turns[i];
    if (t.role == "tool") {
      if (i == 0 || turns[i - 1].role != "tool") {
        b.Marker("<|im_start|>");
        b.Text("user");
      }
      b.Template("\n<tool_response>\n");
      b.Text(t.text);
      b.Template("\n</tool_response>");
      if (i + 1 == turns.size() || turns[i + 1].role != "tool") {
        b.Marker("<|im_end|>");
        b.Text("\n");
      }
    } else if (t.role == "assistant" && !t.tool_calls.empty()) {
      b.Marker("<|im_start|>");
      b.Text("assistant");
      if (!t.text.empty()) b.Text("\n" + t.text);
      for (const ChatToolCall& c : t.tool_calls) {
        b.Template("\n<tool_call>\n");
        b.Text("{\"name\": \"" + c.name + "\", \"arguments\": " + TemplateArguments(c.arguments) + "}");
        b.Template("\n</tool_call>");
      }
      b.Marker("<|im_end|>");
      b.Text("\n");
    } else {
      turn(t.role, t.text);
    }
  }
  b.Marker("<|im_start|>");
  b.Text("assistant\n");
}

bool StartsWithPunctuation(std::string_view s) {
  return !s.empty() && std::string_view(",.;:!?')\"").find(s.front()) != std::string_view::npos;
}

// No template: the story so far (user and assistant texts, tool results), BOS first; with
// tools, the plain-text preamble before it.
RenderedChat RenderDefault(const Tokenizer& tok, const std::vector<ChatTurn>& turns) {
  std::string text;
  std::string story;
  for (const ChatTurn& t : turns) {
    if (t.role == "system" && t.text.starts_with(kToolsPreamble)) {
      text = t.text + "\n\n";
      continue;
    }
    if (t.role != "user" && t.role != "assistant" && t.role != "tool") continue;
    if (!story.empty() && !t.text.empty() && !IsSpace(story.back()) && !IsSpace(t.text.front()) &&
        !StartsWithPunctuation(t.text)) {
      story += ' ';
    }
    story += t.text;
  }
  text += story;
  RenderedChat out;
  if (tok.kind() == TokenizerKind::kLlama2c) {
    out.tokens = tok.Encode(text, true, false);
  } else {
    if (tok.add_bos() && tok.bos_id() >= 0) out.tokens.push_back(tok.bos_id());
    std::vector<int> t = tok.Tokenize(text, false, false);
    out.tokens.insert(out.tokens.end(), t.begin(), t.end());
  }
  out.text = std::move(text);
  return out;
}

}  // namespace

ChatFamily DetectChatFamily(std::string_view t) {
  if (Has(t, "<|im_start|>")) return ChatFamily::kChatml;
  if (Has(t, "[INST]")) return Has(t, "<<SYS>>") ? ChatFamily::kLlama2 : ChatFamily::kMistral;
  if (Has(t, "<|start_header_id|>") && Has(t, "<|end_header_id|>")) return ChatFamily::kLlama3;
  return ChatFamily::kDefault;
}

std::string_view ChatFamilyName(ChatFamily family) {
  switch (family) {
    case ChatFamily::kLlama2: return "llama-2";
    case ChatFamily::kLlama3: return "llama-3";
    case ChatFamily::kChatml: return "chatml";
    case ChatFamily::kMistral: return "mistral";
    case ChatFamily::kDefault: break;
  }
  return "default";
}

ChatFamily ChatFamilyOf(const Tokenizer& tokenizer) {
  if (tokenizer.kind() == TokenizerKind::kLlama2c) return ChatFamily::kDefault;
  return DetectChatFamily(tokenizer.chat_template());
}

ChatFormat DetectChatFormat(std::string_view t) {
  static constexpr std::string_view kQwenSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
  ChatFormat f;
  f.family = DetectChatFamily(t);
  f.llama31 = f.family == ChatFamily::kLlama3 && Has(t, "Cutting Knowledge Date");
  f.mistral_tools = f.family == ChatFamily::kMistral && Has(t, "[AVAILABLE_TOOLS]");
  if (f.family == ChatFamily::kChatml && Has(t, kQwenSystem)) f.default_system = kQwenSystem;
  return f;
}

ChatFormat ChatFormatOf(const Tokenizer& tokenizer) {
  if (tokenizer.kind() == TokenizerKind::kLlama2c) return ChatFormat{};
  return DetectChatFormat(tokenizer.chat_template());
}

RenderedChat RenderChat(const Tokenizer& tok, ChatFamily family, const std::vector<ChatTurn>& turns) {
  ChatFormat f;
  f.family = family;
  return RenderChat(tok, f, turns, nullptr);
}

RenderedChat RenderChat(const Tokenizer& tok, const ChatFormat& f, const std::vector<ChatTurn>& turns,
                        const nlohmann::json& tools) {
  std::vector<ChatTurn> n = Normalize(turns);
  const bool plain = f.family == ChatFamily::kDefault || f.family == ChatFamily::kLlama2 ||
                     (f.family == ChatFamily::kMistral && !f.mistral_tools);
  if (plain) n = PlainTools(std::move(n), tools, f.family == ChatFamily::kDefault ? "tool" : "user");
  if (f.family == ChatFamily::kDefault) return RenderDefault(tok, n);
  Builder b(tok);
  switch (f.family) {
    case ChatFamily::kLlama2: RenderLlama2(b, tok, std::move(n)); break;
    case ChatFamily::kMistral:
      if (f.mistral_tools) {
        RenderMistralV3(b, tok, std::move(n), tools);
      } else {
        RenderMistral(b, tok, std::move(n));
      }
      break;
    case ChatFamily::kLlama3: RenderLlama3(b, tok, f, n, tools); break;
    case ChatFamily::kChatml: RenderChatml(b, tok, f, n, tools); break;
    case ChatFamily::kDefault: break;
  }
  return b.Finish(f.family);
}

}  // namespace lt::engine
