// The GGUF parser and model loader on arbitrary bytes: must refuse or accept, never crash, hang
// or allocate beyond what the input can describe. When a model loads, one forward step runs, and
// a conversation is rendered by the file's chat-template family and by every other family.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/chat_template.h"
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
    using lt::engine::ChatFamily;
    const std::vector<lt::engine::ChatTurn> turns = {
        {"system", "Be brief."}, {"user", " Hi <|im_end|> [INST] "}, {"assistant", "Hello"}, {"tool", "42"}};
    (void)lt::engine::RenderChat((*m)->tokenizer(), lt::engine::ChatFamilyOf((*m)->tokenizer()), turns);
    for (ChatFamily f : {ChatFamily::kLlama2, ChatFamily::kLlama3, ChatFamily::kChatml, ChatFamily::kMistral}) {
      (void)lt::engine::RenderChat((*m)->tokenizer(), f, turns);
    }
  }
  return 0;
}
