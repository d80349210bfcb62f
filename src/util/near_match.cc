#include "util/near_match.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>

namespace lt {
namespace {

char Low(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (prefix.size() > s.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Low(s[i]) != Low(prefix[i])) return false;
  }
  return true;
}

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  constexpr size_t kMaxLen = 256;
  if (a.size() > kMaxLen || b.size() > kMaxLen) return std::numeric_limits<size_t>::max();
  const size_t n = a.size(), m = b.size();
  // Three rows: i-2, i-1, i (the swap looks two rows back).
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = Low(a[i - 1]) == Low(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && Low(a[i - 1]) == Low(b[j - 2]) && Low(a[i - 2]) == Low(b[j - 1])) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::string NearestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.empty()) return "";
  size_t limit = std::max<size_t>(1, word.size() / 3);
  size_t best = std::numeric_limits<size_t>::max();
  std::string out;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    bool prefix = word.size() >= 2 && (StartsWithNoCase(c, word) || StartsWithNoCase(word, c));
    if (d > limit && !prefix) continue;
    if (d < best) {
      best = d;
      out = c;
    }
  }
  return out;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string m = NearestMatch(word, candidates);
  return m.empty() ? "" : "; did you mean '" + m + "'?";
}

}  // namespace lt
