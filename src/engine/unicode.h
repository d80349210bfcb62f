// Unicode helpers for the tokenizers: UTF-8 decoding as llama.cpp does it (an invalid byte
// becomes U+FFFD and decoding goes on at the next byte), the classes the BPE pre-tokenizers test
// (\p{L}, \p{N}, \s), and GPT-2's byte-to-character map of byte-level BPE vocabularies.
// The class tables come from unicode_ranges.inc (generated from the Unicode database by
// tools/gen_unicode_ranges.py). Thread-safety: pure functions over constant tables.
#ifndef LT_ENGINE_UNICODE_H_
#define LT_ENGINE_UNICODE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lt::engine {

std::vector<uint32_t> Utf8ToCodepoints(std::string_view s);
void AppendUtf8(uint32_t cp, std::string* out);
// Bytes of the UTF-8 sequence that starts with `lead` (1 for continuation or invalid bytes).
int Utf8Length(uint8_t lead);

bool IsLetter(uint32_t cp);      // \p{L}
bool IsNumber(uint32_t cp);      // \p{N}
bool IsWhitespace(uint32_t cp);  // \s as llama.cpp defines it

// GPT-2's reversible map of the 256 bytes to printable characters (UTF-8 of each), and back
// (-1 for a code point that is no byte's character).
const std::string& ByteToBpeChar(uint8_t b);
int BpeCharToByte(uint32_t cp);

// Splits text into the words of a byte-level BPE pre-tokenizer: kLlama3 is llama-bpe's regex
// (digits in runs of up to 3), kQwen2 qwen2's (single digits); both exactly as llama.cpp's
// hand-written matchers. Returns the words as UTF-8 (invalid input bytes become U+FFFD).
enum class PreTokenizer { kLlama3, kQwen2 };
std::vector<std::string> PreTokenize(std::string_view text, PreTokenizer kind);

}  // namespace lt::engine

#endif  // LT_ENGINE_UNICODE_H_
