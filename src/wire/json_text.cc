#include "wire/json_text.h"

#include <charconv>

namespace lt::wire::json_text {

bool Reader::PlainString(std::string_view* out) {
  if (!Take('"')) return false;
  size_t start = p_;
  while (p_ < s_.size()) {
    unsigned char c = static_cast<unsigned char>(s_[p_]);
    if (c == '"') {
      *out = s_.substr(start, p_ - start);
      ++p_;
      return true;
    }
    // Escapes, control characters and non-ASCII bytes (UTF-8 to validate) are the strict path's.
    if (c == '\\' || c < 0x20 || c > 0x7e) return false;
    ++p_;
  }
  return false;
}

bool Reader::Unsigned(uint64_t* out) {
  SkipSpace();
  size_t start = p_;
  while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
  size_t n = p_ - start;
  if (n == 0 || (n > 1 && s_[start] == '0')) return false;
  if (p_ < s_.size() && (s_[p_] == '.' || s_[p_] == 'e' || s_[p_] == 'E')) return false;
  auto r = std::from_chars(s_.data() + start, s_.data() + p_, *out);
  return r.ec == std::errc() && r.ptr == s_.data() + p_;
}

bool Reader::Bool(bool* out) {
  SkipSpace();
  if (s_.substr(p_, 4) == "true") {
    p_ += 4;
    *out = true;
    return true;
  }
  if (s_.substr(p_, 5) == "false") {
    p_ += 5;
    *out = false;
    return true;
  }
  return false;
}

bool Reader::Scalar(nlohmann::json* out) {
  char c = Next();
  if (c == '"') {
    std::string_view s;
    if (!PlainString(&s)) return false;
    *out = std::string(s);
    return true;
  }
  if (c >= '0' && c <= '9') {
    uint64_t v = 0;
    if (!Unsigned(&v)) return false;
    *out = v;
    return true;
  }
  bool b = false;
  if (!Bool(&b)) return false;
  *out = b;
  return true;
}

bool ReadSignature(Reader& r, crypto::Signature* out) {
  std::string_view hex;
  if (!r.PlainString(&hex)) return false;
  auto sig = crypto::ParseSignature(hex);
  if (!sig.ok()) return false;
  *out = *sig;
  return true;
}

void AppendString(std::string_view s, std::string* out) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
      out->append(nlohmann::json(std::string(s)).dump());  // escapes; invalid UTF-8 throws, as ToJson's dump does
      return;
    }
  }
  out->push_back('"');
  out->append(s);
  out->push_back('"');
}

namespace {
void AppendQuoted(const std::string& s, std::string* out) {
  out->push_back('"');
  out->append(s);
  out->push_back('"');
}
void AppendNumber(uint64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}
}  // namespace

void AppendField(const crypto::Address& v, std::string* out) { AppendQuoted(v.ToChecksumHex(), out); }
void AppendField(const Hash32& v, std::string* out) { AppendQuoted(HexEncode0x(v), out); }
void AppendField(const U256& v, std::string* out) { AppendQuoted(v.ToDecimal(), out); }
void AppendField(const uint32_t& v, std::string* out) { AppendNumber(v, out); }
void AppendField(const uint64_t& v, std::string* out) { AppendNumber(v, out); }
void AppendField(const bool& v, std::string* out) { out->append(v ? "true" : "false"); }
void AppendField(const std::string& v, std::string* out) { AppendString(v, out); }
void AppendField(const Bytes& v, std::string* out) { AppendQuoted(HexEncode0x(v), out); }
void AppendField(const AddressList& v, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendField(v[i], out);
  }
  out->push_back(']');
}

bool ReadField(Reader& r, AddressList* out) {
  out->clear();
  return r.Array([&] {
    crypto::Address a;
    if (out->size() >= kMaxAddressList || !ReadField(r, &a)) return false;
    out->push_back(a);
    return true;
  });
}

}  // namespace lt::wire::json_text
