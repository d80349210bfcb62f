// Fuzz target: provider.toml (toml++ and the conversion to the config reader's JSON,
// provider/toml.h) and then the config reader itself, on arbitrary text: a file an operator
// edits by hand. Invariants: no crash, no exception; a refusal says why.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "provider/config.h"
#include "provider/toml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = lt::provider::ParseToml(text);
  if (!j.ok()) {
    if (j.error().message.empty()) __builtin_trap();
    return 0;
  }
  (void)j->dump();
  return 0;
}
