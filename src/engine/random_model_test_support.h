// Test support: a synthetic model of `lt model random` written to a temporary file, loaded and
// the file removed (the tests that keep their files across tests cache them themselves).
#ifndef LT_ENGINE_RANDOM_MODEL_TEST_SUPPORT_H_
#define LT_ENGINE_RANDOM_MODEL_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engine/model.h"
#include "engine/random_model.h"

namespace lt::engine::testing {

// nullptr (with a test failure) when the model cannot be written or loaded.
inline std::shared_ptr<const Model> LoadRandomModel(const RandomModelSpec& spec) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("lt-random-model-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / (spec.kind + "-" + spec.type + ".gguf")).string();
  Status st = WriteRandomModel(spec, path);
  EXPECT_TRUE(st.ok()) << st.error().message;
  auto m = Model::Load(path);
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? *m : nullptr;
}

// The smallest model of family `kind` the chat-template tests render on (1 layer, dim 64,
// vocabulary 600): the family's canonical template and special tokens, no useful weights.
inline std::shared_ptr<const Model> LoadTinyTemplateModel(const std::string& kind, int context = 256) {
  RandomModelSpec s;
  s.kind = kind;
  s.dim = 64;
  s.hidden = 128;
  s.layers = 1;
  s.heads = 2;
  s.vocab = 600;
  s.context = context;
  return LoadRandomModel(s);
}

}  // namespace lt::engine::testing

#endif  // LT_ENGINE_RANDOM_MODEL_TEST_SUPPORT_H_
