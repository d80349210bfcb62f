// Model names and tags on the ledger (DESIGN §4).
//
// A model name is "namespace/name" (more path components allowed), each component matching
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*; the namespace is the first component. A tag matches
// [A-Za-z0-9_][A-Za-z0-9._-]{0,127}. Validators are hand-written (no std::regex: linear time,
// no recursion) and bounded (names at most 255 characters). Errors name what is wrong.
// Thread-safety: pure functions.
#ifndef LT_LEDGER_NAMES_H_
#define LT_LEDGER_NAMES_H_

#include <string>
#include <string_view>

#include "util/result.h"

namespace lt::ledger {

inline constexpr size_t kMaxModelNameLength = 255;

Status ValidateModelName(std::string_view name);
Status ValidateTag(std::string_view tag);
// The namespace of a valid name (its first component).
std::string_view NamespaceOf(std::string_view name);

}  // namespace lt::ledger

#endif  // LT_LEDGER_NAMES_H_
