// Bounded JSON parsing: every JSON document that comes from outside the process (the network, a
// file, a flag) is parsed through here, so its nesting is bounded before any code walks it
// recursively (nlohmann's copy, dump and comparison recurse per level: 200,000 nested '[' used to
// overflow the stack of the ledger and of the client).
// The depth check is a linear scan with no recursion; strings are skipped with their escapes.
// Thread-safety: pure functions.
#ifndef LT_UTIL_JSON_H_
#define LT_UTIL_JSON_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace lt {

inline constexpr size_t kMaxJsonDepth = 64;

// True when `text` nests arrays and objects more than `max_depth` deep (a scalar is depth 0,
// "[]" depth 1). Says nothing of whether the text is valid JSON.
bool JsonNestsDeeperThan(std::string_view text, size_t max_depth);

// Parses `text`; a value whose is_discarded() is true when it is not valid JSON or nests more
// than `max_depth` deep. Never throws.
nlohmann::json ParseJson(std::string_view text, size_t max_depth = kMaxJsonDepth);

// The same, with an error that says which of the two it was: "<what> is not valid JSON" or
// "<what> nests deeper than N levels" (kInvalidArgument).
Result<nlohmann::json> ParseJsonChecked(std::string_view text, std::string_view what,
                                        size_t max_depth = kMaxJsonDepth);

// The value of a non-negative JSON integer, whichever way it was made (parsed text gives
// number_unsigned, a json built in C++ from an int gives number_integer); nullopt for anything
// else (negative, fractional, a string, ...).
std::optional<uint64_t> JsonUint(const nlohmann::json& v);

// o[key] when o is an object whose `key` is a string; "" otherwise (json::value throws on a value
// of another type, and a const operator[] on a missing key is undefined).
std::string JsonStr(const nlohmann::json& o, const char* key);

}  // namespace lt

#endif  // LT_UTIL_JSON_H_
