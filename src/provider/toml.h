// A small TOML subset for provider.toml (doc/provider.md): enough for a config file, strict
// enough that a typo is an error with its line number.
//
// Supported: comments (#), `key = value` with bare keys ([A-Za-z0-9_-]+) or "quoted" keys;
// values: basic strings "..." (escapes \" \\ \n \t \r \uXXXX), literal strings '...', integers
// (decimal, optional sign, `_` separators), booleans, arrays of those values on one line
// ([1, 2] / ["a", "b"], trailing comma allowed); tables [name] and arrays of tables [[name]]
// (one level, no dotted keys). Not supported (an error, never silently ignored): floats, dates,
// multi-line strings, inline tables, dotted keys. Duplicate keys and a table that is defined
// twice are errors.
//
// The result is a nlohmann::json object: tables are objects, [[x]] is an array of objects.
// Integers are int64. Thread-safety: pure function.
#ifndef LT_PROVIDER_TOML_H_
#define LT_PROVIDER_TOML_H_

#include <nlohmann/json.hpp>
#include <string_view>

#include "util/result.h"

namespace lt::provider {

// Errors: kInvalidArgument "line N: <what>".
Result<nlohmann::json> ParseToml(std::string_view text);

}  // namespace lt::provider

#endif  // LT_PROVIDER_TOML_H_
