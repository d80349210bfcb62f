// Near matches for "did you mean": a mistyped subcommand, tag or model name against the ones that
// exist. The distance is Damerau-Levenshtein (optimal string alignment: insert, delete, substitute,
// swap two neighbours, each 1), case-insensitive; a candidate is near when its distance is at most
// max(1, length/3) of the word, or when one starts with the other (`pul` -> `pull`).
// Thread-safety: pure functions.
#ifndef LT_UTIL_NEAR_MATCH_H_
#define LT_UTIL_NEAR_MATCH_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lt {

// Edit distance between a and b (case-insensitive ASCII); inputs longer than 256 bytes count as
// far (returns SIZE_MAX) so the cost stays bounded.
size_t EditDistance(std::string_view a, std::string_view b);

// The nearest candidate to `word` ("" when none is near), ties to the first given.
std::string NearestMatch(std::string_view word, const std::vector<std::string>& candidates);

// "; did you mean 'x'?" or "" — the suffix every "unknown ..." message appends.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace lt

#endif  // LT_UTIL_NEAR_MATCH_H_
