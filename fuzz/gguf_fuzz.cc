// The GGUF parser and model loader on arbitrary bytes: must refuse or accept, never crash, hang
// or allocate beyond what the input can describe. When a model loads, one forward step runs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/forward.h"
#include "engine/gguf.h"
#include "engine/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = lt::engine::Model::LoadGgufFromMemory(std::string_view(reinterpret_cast<const char*>(data), size));
  if (m.ok() && (*m)->config().dim <= 256 && (*m)->config().seq_len <= 4096 &&
      static_cast<uint64_t>((*m)->config().vocab_size) * (*m)->config().dim <= (1u << 22)) {
    lt::engine::RunState st(*m);
    const int bos = (*m)->tokenizer().bos_id();
    st.Forward(bos >= 0 ? bos : 0, 0, nullptr);
    (void)(*m)->tokenizer().Encode("Once upon a time", true, true);
    (void)(*m)->tokenizer().Tokenize("<s>Hello  world 123 caf\xC3\xA9 <|eot_id|>", true, true);
  }
  return 0;
}
