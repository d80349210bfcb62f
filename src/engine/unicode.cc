#include "engine/unicode.h"

#include <algorithm>
#include <array>

namespace lt::engine {

namespace {

struct CodepointRange {
  uint32_t first, last;
};
#include "engine/unicode_ranges.inc"

template <size_t N>
bool InRanges(const CodepointRange (&r)[N], uint32_t cp) {
  auto it = std::upper_bound(std::begin(r), std::end(r), cp, [](uint32_t v, const CodepointRange& x) { return v < x.first; });
  if (it == std::begin(r)) return false;
  --it;
  return cp <= it->last;
}

// One code point at s[*off] as llama.cpp's unicode_cpt_from_utf8; false for an invalid sequence.
bool DecodeOne(std::string_view s, size_t* off, uint32_t* cp) {
  const size_t o = *off;
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[o + i]); };
  const auto cont = [&](size_t i) { return o + i < s.size() && (b(i) & 0xC0) == 0x80; };
  if (!(b(0) & 0x80)) {
    *cp = b(0);
    *off += 1;
    return true;
  }
  if (!(b(0) & 0x40)) return false;
  if (!(b(0) & 0x20)) {
    if (!cont(1)) return false;
    *cp = ((b(0) & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    *off += 2;
    return true;
  }
  if (!(b(0) & 0x10)) {
    if (!cont(1) || !cont(2)) return false;
    *cp = ((b(0) & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    *off += 3;
    return true;
  }
  if (!(b(0) & 0x08)) {
    if (!cont(1) || !cont(2) || !cont(3)) return false;
    *cp = ((b(0) & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
    *off += 4;
    return true;
  }
  return false;
}

struct ByteMap {
  std::array<std::string, 256> to_char;
  std::array<int, 512> from_cp;  // GPT-2's characters all lie below U+0200
  ByteMap() {
    from_cp.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      uint32_t cp = printable ? static_cast<uint32_t>(b) : static_cast<uint32_t>(256 + n++);
      AppendUtf8(cp, &to_char[static_cast<size_t>(b)]);
      from_cp[cp] = b;
    }
  }
};
const ByteMap& Bytes() {
  static const ByteMap m;
  return m;
}

}  // namespace

std::vector<uint32_t> Utf8ToCodepoints(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t off = 0;
  while (off < s.size()) {
    uint32_t cp;
    if (DecodeOne(s, &off, &cp)) {
      out.push_back(cp);
    } else {
      ++off;
      out.push_back(0xFFFD);
    }
  }
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int Utf8Length(uint8_t lead) {
  static const int kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

bool IsLetter(uint32_t cp) { return InRanges(kLetterRanges, cp); }
bool IsNumber(uint32_t cp) { return InRanges(kNumberRanges, cp); }

bool IsWhitespace(uint32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

const std::string& ByteToBpeChar(uint8_t b) { return Bytes().to_char[b]; }

int BpeCharToByte(uint32_t cp) { return cp < 512 ? Bytes().from_cp[cp] : -1; }

std::vector<std::string> PreTokenize(std::string_view text, PreTokenizer kind) {
  const std::vector<uint32_t> cpts = Utf8ToCodepoints(text);
  const size_t end = cpts.size();
  constexpr uint32_t kOut = 0xFFFFFFFF;
  struct Flags {
    bool valid = false, letter = false, number = false, space = false;
  };
  auto cpt = [&](size_t p) { return p < end ? cpts[p] : kOut; };
  auto flags = [&](size_t p) {
    Flags f;
    if (p >= end) return f;
    f.valid = true;
    f.letter = IsLetter(cpts[p]);
    f.number = IsNumber(cpts[p]);
    f.space = IsWhitespace(cpts[p]);
    return f;
  };
  auto lower = [](uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
  std::vector<std::string> words;
  size_t prev = 0;
  auto add = [&](size_t e) -> size_t {
    size_t len = e - prev;
    if (len > 0) {
      std::string w;
      for (size_t i = prev; i < e; ++i) AppendUtf8(cpts[i], &w);
      words.push_back(std::move(w));
    }
    prev = e;
    return len;
  };
  const size_t max_digits = kind == PreTokenizer::kLlama3 ? 3 : 1;
  for (size_t pos = 0; pos < end;) {
    const uint32_t c = cpt(pos);
    const Flags f = flags(pos);
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (c == '\'' && pos + 1 < end) {
      uint32_t n1 = lower(cpt(pos + 1));
      if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') {
        pos += add(pos + 2);
        continue;
      }
      if (pos + 2 < end) {
        uint32_t n2 = lower(cpt(pos + 2));
        if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) {
          pos += add(pos + 3);
          continue;
        }
      }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!(c == '\r' || c == '\n' || f.number)) {
      if (f.letter || flags(pos + 1).letter) {
        ++pos;
        while (flags(pos).letter) ++pos;
        add(pos);
        continue;
      }
    }
    // \p{N}{1,3} (llama3) or \p{N} (qwen2)
    if (f.number) {
      size_t ini = pos;
      while (flags(pos).number) {
        if (++pos - ini >= max_digits) {
          add(pos);
          ini = pos;
        }
      }
      add(pos);
      continue;
    }
    // <space>?[^\s\p{L}\p{N}]+[\r\n]*
    Flags f2 = c == ' ' ? flags(pos + 1) : f;
    if (!(f2.space || f2.letter || f2.number) && f.valid) {
      pos += c == ' ' ? 1 : 0;
      while (!(f2.space || f2.letter || f2.number) && f2.valid) f2 = flags(++pos);
      uint32_t c2 = cpt(pos);
      while (c2 == '\r' || c2 == '\n') c2 = cpt(++pos);
      add(pos);
      continue;
    }
    size_t nws = 0, last_rn = 0;
    while (flags(pos + nws).space) {
      uint32_t c2 = cpt(pos + nws);
      if (c2 == '\r' || c2 == '\n') last_rn = pos + nws + 1;
      ++nws;
    }
    if (last_rn > 0) {  // \s*[\r\n]+
      pos = last_rn;
      add(pos);
      continue;
    }
    if (nws > 1 && cpt(pos + nws) != kOut) {  // \s+(?!\S)
      pos += nws - 1;
      add(pos);
      continue;
    }
    if (nws > 0) {  // \s+
      pos += nws;
      add(pos);
      continue;
    }
    add(++pos);  // no match
  }
  return words;
}

}  // namespace lt::engine
