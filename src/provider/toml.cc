#include "provider/toml.h"

#include <cctype>
#include <string>

namespace lt::provider {
namespace {

using nlohmann::json;

class LineParser {
 public:
  LineParser(std::string_view s, int line) : s_(s), line_(line) {}

  Error Err(const std::string& what) const {
    return InvalidArgument("line " + std::to_string(line_) + ": " + what);
  }
  void SkipWs() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool AtEndOrComment() {
    SkipWs();
    return i_ >= s_.size() || s_[i_] == '#';
  }
  bool Eat(char c) {
    SkipWs();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  char Peek() {
    SkipWs();
    return i_ < s_.size() ? s_[i_] : '\0';
  }

  Result<std::string> Key() {
    SkipWs();
    if (Peek() == '"') return BasicString();
    if (Peek() == '\'') return LiteralString();
    size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' || s_[i_] == '-')) ++i_;
    if (i_ == start) return Err("expected a key");
    if (i_ < s_.size() && s_[i_] == '.') return Err("dotted keys are not supported");
    return std::string(s_.substr(start, i_ - start));
  }

  Result<std::string> BasicString() {
    ++i_;  // opening quote
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (i_ >= s_.size()) break;
        char e = s_[i_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'u': {
            if (i_ + 4 > s_.size()) return Err("truncated \\u escape");
            unsigned cp = 0;
            for (int k = 0; k < 4; ++k) {
              char h = s_[i_++];
              if (!std::isxdigit(static_cast<unsigned char>(h))) return Err("bad \\u escape");
              cp = cp * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
            }
            if (cp < 0x80) {
              out += static_cast<char>(cp);
            } else if (cp < 0x800) {
              out += static_cast<char>(0xC0 | (cp >> 6));
              out += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
              out += static_cast<char>(0xE0 | (cp >> 12));
              out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
              out += static_cast<char>(0x80 | (cp & 0x3F));
            }
            break;
          }
          default: return Err(std::string("unknown escape \\") + e);
        }
      } else {
        out += c;
      }
    }
    return Err("unterminated string");
  }

  Result<std::string> LiteralString() {
    ++i_;
    size_t end = s_.find('\'', i_);
    if (end == std::string_view::npos) return Err("unterminated string");
    std::string out(s_.substr(i_, end - i_));
    i_ = end + 1;
    return out;
  }

  Result<json> Value(int depth = 0) {
    char c = Peek();
    if (c == '"') {
      if (s_.substr(i_, 3) == "\"\"\"") return Err("multi-line strings are not supported");
      LT_TRY(auto s, BasicString());
      return json(s);
    }
    if (c == '\'') {
      LT_TRY(auto s, LiteralString());
      return json(s);
    }
    if (c == '[') {
      if (depth > 4) return Err("arrays nested too deeply");
      ++i_;
      json arr = json::array();
      while (true) {
        if (Eat(']')) return arr;
        if (AtEndOrComment()) return Err("arrays must be on one line");
        LT_TRY(json v, Value(depth + 1));
        arr.push_back(std::move(v));
        if (Eat(',')) continue;
        if (Eat(']')) return arr;
        return Err("expected ',' or ']' in array");
      }
    }
    if (c == '{') return Err("inline tables are not supported");
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != ']' && s_[i_] != '#' && s_[i_] != ' ' && s_[i_] != '\t') ++i_;
    std::string tok(s_.substr(start, i_ - start));
    if (tok.empty()) return Err("expected a value");
    if (tok == "true") return json(true);
    if (tok == "false") return json(false);
    std::string digits;
    size_t k = 0;
    bool neg = false;
    if (tok[0] == '+' || tok[0] == '-') {
      neg = tok[0] == '-';
      k = 1;
    }
    bool last_us = true;
    for (; k < tok.size(); ++k) {
      char d = tok[k];
      if (d == '_' && !last_us) {
        last_us = true;
        continue;
      }
      if (!std::isdigit(static_cast<unsigned char>(d))) {
        return Err("unsupported value '" + tok + "' (strings must be quoted; floats and dates are not supported)");
      }
      digits += d;
      last_us = false;
    }
    if (digits.empty() || last_us) return Err("bad integer '" + tok + "'");
    if (digits.size() > 1 && digits[0] == '0') return Err("leading zeros in integer '" + tok + "'");
    if (digits.size() > 18) return Err("integer '" + tok + "' is out of range (use a quoted string for big amounts)");
    int64_t v = std::stoll(digits);
    return json(neg ? -v : v);
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
  int line_;
};

}  // namespace

Result<json> ParseToml(std::string_view text) {
  json root = json::object();
  json* current = &root;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    LineParser p(line, line_no);
    if (p.AtEndOrComment()) continue;
    if (p.Eat('[')) {
      bool array = p.Eat('[');
      LT_TRY(std::string name, p.Key());
      if (!p.Eat(']') || (array && !p.Eat(']'))) return p.Err("expected ']' after table name");
      if (!p.AtEndOrComment()) return p.Err("unexpected text after table header");
      if (array) {
        if (root.contains(name) && !root[name].is_array()) return p.Err("'" + name + "' is not an array of tables");
        if (!root.contains(name)) root[name] = json::array();
        root[name].push_back(json::object());
        current = &root[name].back();
      } else {
        if (root.contains(name)) return p.Err("table [" + name + "] is defined twice");
        root[name] = json::object();
        current = &root[name];
      }
      continue;
    }
    LT_TRY(std::string key, p.Key());
    if (!p.Eat('=')) return p.Err("expected '=' after key '" + key + "'");
    LT_TRY(json value, p.Value());
    if (!p.AtEndOrComment()) return p.Err("unexpected text after the value of '" + key + "'");
    if (current->contains(key)) return p.Err("duplicate key '" + key + "'");
    (*current)[key] = std::move(value);
  }
  return root;
}

}  // namespace lt::provider
