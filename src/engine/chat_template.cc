#include "engine/chat_template.h"

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

// developer -> system, function -> tool; then the family's own role names.
std::vector<ChatTurn> Normalize(ChatFamily family, const std::vector<ChatTurn>& turns) {
  std::vector<ChatTurn> out;
  out.reserve(turns.size());
  for (const ChatTurn& t : turns) {
    ChatTurn n = t;
    if (n.role == "developer") n.role = "system";
    if (n.role == "function") n.role = "tool";
    if (n.role == "tool") {
      if (family == ChatFamily::kLlama3) n.role = "ipython";
      if (family == ChatFamily::kLlama2 || family == ChatFamily::kMistral) n.role = "user";
    }
    out.push_back(std::move(n));
  }
  return out;
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

// Meta's Llama-3-instruct template: <|begin_of_text|> then per turn
// <|start_header_id|>{role}<|end_header_id|>\n\n{trimmed text}<|eot_id|>, then the assistant header.
void RenderLlama3(Builder& b, const Tokenizer& tok, const std::vector<ChatTurn>& turns) {
  b.Token(tok.bos_id());
  auto header = [&](std::string_view role) {
    b.Marker("<|start_header_id|>");
    b.Text(role);
    b.Marker("<|end_header_id|>");
    b.Text("\n\n");
  };
  for (const ChatTurn& t : turns) {
    header(t.role);
    b.Text(Strip(t.text));
    b.Marker("<|eot_id|>");
  }
  header("assistant");
}

// ChatML: <|im_start|>{role}\n{text}<|im_end|>\n per turn, then <|im_start|>assistant\n.
void RenderChatml(Builder& b, const Tokenizer& tok, const std::vector<ChatTurn>& turns) {
  if (tok.add_bos()) b.Token(tok.bos_id());
  for (const ChatTurn& t : turns) {
    b.Marker("<|im_start|>");
    b.Text(t.role + "\n" + t.text);
    b.Marker("<|im_end|>");
    b.Text("\n");
  }
  b.Marker("<|im_start|>");
  b.Text("assistant\n");
}

bool StartsWithPunctuation(std::string_view s) {
  return !s.empty() && std::string_view(",.;:!?')\"").find(s.front()) != std::string_view::npos;
}

// No template: the story so far (user and assistant texts), BOS first.
RenderedChat RenderDefault(const Tokenizer& tok, const std::vector<ChatTurn>& turns) {
  std::string text;
  for (const ChatTurn& t : turns) {
    if (t.role != "user" && t.role != "assistant") continue;
    if (!text.empty() && !t.text.empty() && !IsSpace(text.back()) && !IsSpace(t.text.front()) &&
        !StartsWithPunctuation(t.text)) {
      text += ' ';
    }
    text += t.text;
  }
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

RenderedChat RenderChat(const Tokenizer& tok, ChatFamily family, const std::vector<ChatTurn>& turns) {
  if (family == ChatFamily::kDefault) return RenderDefault(tok, turns);
  Builder b(tok);
  std::vector<ChatTurn> n = Normalize(family, turns);
  switch (family) {
    case ChatFamily::kLlama2: RenderLlama2(b, tok, std::move(n)); break;
    case ChatFamily::kMistral: RenderMistral(b, tok, std::move(n)); break;
    case ChatFamily::kLlama3: RenderLlama3(b, tok, n); break;
    case ChatFamily::kChatml: RenderChatml(b, tok, n); break;
    case ChatFamily::kDefault: break;
  }
  return b.Finish(family);
}

}  // namespace lt::engine
