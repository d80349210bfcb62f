// What `lt model push` checks about the files before it publishes them (doc/registry.md
// "Publishing"): that they are what --format says. gguf: every model file (a given file, or each
// *.gguf inside a given directory; at least one) must parse with the engine's GGUF reader
// (engine/gguf.h: structure, tensor types, bounds), and `general.architecture` fills the
// manifest's architecture (a different --architecture is refused). llama2c: the checkpoint must
// load with the engine (header, sizes, and its tokenizer). Other formats (openai-remote, ...) are
// not checked. Files are mapped read-only, never read whole into memory.
// Thread-safety: pure functions over files.
#ifndef LT_CLI_PUSH_CHECK_H_
#define LT_CLI_PUSH_CHECK_H_

#include <string>
#include <vector>

#include "util/result.h"

namespace lt::cli {

struct FormatFacts {
  std::string architecture;  // from the files ("" when the format does not say)
  bool checked = false;      // whether the format has a check
};

// `files`: the model files or one directory (not the tokenizer); `tokenizer` may be "".
Result<FormatFacts> CheckModelFormat(const std::string& format, const std::vector<std::string>& files,
                                     const std::string& tokenizer, const std::string& architecture_flag);

}  // namespace lt::cli

#endif  // LT_CLI_PUSH_CHECK_H_
