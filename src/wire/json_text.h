// JSON text on the router's hot path without a document tree (doc/wire.md "JSON on the hot path").
//
// The router reads an RFC and a provider's batch of Pongs, and writes a ticket, per request;
// building an nlohmann::json tree for each (a std::map node and a heap string per member) cost
// about a tenth of the router's CPU. These helpers read and write the same JSON directly:
//
//   - Reader accepts only the plain form our own writers (and JavaScript's JSON.stringify) give:
//     ASCII strings without escapes, unsigned integers without fraction or exponent, true, false,
//     objects and arrays, JSON whitespace anywhere allowed. Each method returns false on anything
//     else, and the caller then parses the text with nlohmann and the strict FromJson as before.
//     So the fast path never decides an input differently: it accepts only what the strict path
//     accepts, with the same values (each field's value goes through the same field::FromJson),
//     and every error message still comes from the strict path.
//   - ReadMessage<M> reads one wire message (every field exactly once, no other key).
//   - AppendMessage<M> writes one, fields in declaration order (JSON objects are unordered; the
//     values are what wire::ToJson writes).
// Thread-safety: a Reader is used by one thread; the functions are pure.
#ifndef LT_WIRE_JSON_TEXT_H_
#define LT_WIRE_JSON_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "wire/typed.h"

namespace lt::wire::json_text {

class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  // Skips whitespace; true (and consumed) if the next character is c.
  bool Take(char c) {
    SkipSpace();
    if (p_ < s_.size() && s_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  // Skips whitespace; the next character, or 0 at the end.
  char Next() {
    SkipSpace();
    return p_ < s_.size() ? s_[p_] : '\0';
  }
  // A string of printable ASCII without escapes; out views the text.
  bool PlainString(std::string_view* out);
  // An unsigned integer below 2^64 in canonical form (no sign, leading zero, fraction or exponent).
  bool Unsigned(uint64_t* out);
  bool Bool(bool* out);
  // The whole text was read (only whitespace is left).
  bool AtEnd() {
    SkipSpace();
    return p_ == s_.size();
  }

  // {"key": value, ...}: on_member(key) reads the member's value and returns false to give up.
  template <typename F>
  bool Object(F&& on_member) {
    if (!Take('{')) return false;
    if (Take('}')) return true;
    for (;;) {
      std::string_view key;
      if (!PlainString(&key) || !Take(':') || !on_member(key)) return false;
      if (Take(',')) continue;
      return Take('}');
    }
  }
  // [value, ...]: on_element() reads one element.
  template <typename F>
  bool Array(F&& on_element) {
    if (!Take('[')) return false;
    if (Take(']')) return true;
    for (;;) {
      if (!on_element()) return false;
      if (Take(',')) continue;
      return Take(']');
    }
  }

  // One scalar (string, unsigned integer, true or false) as the JSON value field::FromJson reads.
  bool Scalar(nlohmann::json* out);

 private:
  void SkipSpace() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\n' || s_[p_] == '\r' || s_[p_] == '\t')) ++p_;
  }
  std::string_view s_;
  size_t p_ = 0;
};

// One field's value through the strict converter (no error text is kept: the caller falls back).
template <typename T>
bool ReadField(Reader& r, T* out) {
  static const std::string kNoPath;
  nlohmann::json v;
  return r.Scalar(&v) && field::FromJson(v, kNoPath, out).ok();
}

// An array of address strings, as field::FromJson(AddressList) reads it.
bool ReadField(Reader& r, AddressList* out);

// A signature string (0x + 130 hex digits), as crypto::ParseSignature reads it.
bool ReadSignature(Reader& r, crypto::Signature* out);

// A wire message's object: every field once, no other key.
template <typename M>
bool ReadMessage(Reader& r, M* out) {
  uint64_t seen = 0;
  int count = 0;
  bool ok = r.Object([&](std::string_view key) {
    bool found = false, good = false;
    int k = 0;
    M::Fields(*out, [&](const char* name, auto& f) {
      if (!found && key == name) {
        found = true;
        good = (seen & (uint64_t{1} << k)) == 0 && ReadField(r, &f);
        seen |= uint64_t{1} << k;
      }
      ++k;
    });
    count = k;
    return found && good;
  });
  return ok && count > 0 && count < 64 && seen == (uint64_t{1} << count) - 1;
}

// Writers: the same values as wire::ToJson.
void AppendString(std::string_view s, std::string* out);  // quoted, escaped as JSON needs
void AppendField(const crypto::Address& v, std::string* out);
void AppendField(const Hash32& v, std::string* out);
void AppendField(const U256& v, std::string* out);
void AppendField(const uint32_t& v, std::string* out);
void AppendField(const uint64_t& v, std::string* out);
void AppendField(const bool& v, std::string* out);
void AppendField(const std::string& v, std::string* out);
void AppendField(const Bytes& v, std::string* out);
void AppendField(const AddressList& v, std::string* out);

template <typename M>
void AppendMessage(const M& m, std::string* out) {
  out->push_back('{');
  bool first = true;
  M::Fields(m, [&](const char* name, const auto& f) {
    if (!first) out->push_back(',');
    first = false;
    out->push_back('"');
    out->append(name);
    out->append("\":");
    AppendField(f, out);
  });
  out->push_back('}');
}

template <typename M>
std::string DumpMessage(const M& m) {
  std::string out;
  out.reserve(512);
  AppendMessage(m, &out);
  return out;
}

}  // namespace lt::wire::json_text

#endif  // LT_WIRE_JSON_TEXT_H_
