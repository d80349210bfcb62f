// Fuzz target: the linear depth check in front of every network JSON parser (util/json.h),
// differentially against nlohmann's own view of the document. Invariants: whatever ParseJson
// accepts nests at most kMaxJsonDepth levels (measured on the parsed value without recursion
// beyond that bound), and a valid document within the bound is never refused by the check.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "util/json.h"

namespace {

// The nesting depth of a parsed value, with an explicit stack.
size_t Depth(const nlohmann::json& root) {
  size_t best = 0;
  std::vector<std::pair<const nlohmann::json*, size_t>> stack{{&root, 0}};
  while (!stack.empty()) {
    auto [v, d] = stack.back();
    stack.pop_back();
    if (!v->is_structured()) continue;
    best = std::max(best, d + 1);
    for (const auto& child : *v) stack.push_back({&child, d + 1});
  }
  return best;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = lt::ParseJson(text, 8);  // a small bound, so the fuzzer reaches it
  if (!j.is_discarded() && Depth(j) > 8) __builtin_trap();
  if (size > 4096) return 0;  // nlohmann's own parse of deep input is what the check avoids
  // nlohmann's lexer takes a NUL byte as the end of input ("33\0[[[" is 33 to it); ParseJson
  // refuses such text, which is the safer answer, so the comparison stops there.
  if (text.find('\0') != std::string_view::npos) return 0;
  auto plain = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (!plain.is_discarded() && Depth(plain) <= 8 && j.is_discarded()) __builtin_trap();
  return 0;
}
