// provider.toml (doc/provider.md) read with toml++ (Debian's libtomlplusplus-dev, TOML 1.0) and
// handed to the config reader as a nlohmann::json object: tables are objects, [[x]] an array of
// objects, integers int64, floats doubles; dates and times are refused (no key takes one).
// A syntax error says where: "line N, column C: <what>". Nesting is bounded by toml++ (256).
// Thread-safety: pure function.
#ifndef LT_PROVIDER_TOML_H_
#define LT_PROVIDER_TOML_H_

#include <nlohmann/json.hpp>
#include <string_view>

#include "util/result.h"

namespace lt::provider {

// Errors: kInvalidArgument "line N, column C: <what>".
Result<nlohmann::json> ParseToml(std::string_view text);

}  // namespace lt::provider

#endif  // LT_PROVIDER_TOML_H_
