// lt generate | engine serve | model convert | model random: the built-in CPU engine
// (src/engine, doc/engine.md).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "engine/bench.h"
#include "engine/engine.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/random_model.h"
#include "engine_server/openai_server.h"
#include "engine/session.h"
#include "engine/thread_pool.h"
#include "net/http.h"
#include "util/log.h"

namespace lt::cli {

namespace {

namespace eng = lt::engine;

struct GenerateFlags {
  std::string model, tokenizer, prompt;
  int steps = 256;
  float temperature = 1.0f;
  float top_p = 0.9f;
  uint64_t seed = 0;
  int threads = 0;
};

Status Generate(const GenerateFlags& f) {
  if (f.temperature < 0) return InvalidArgument("--temperature must be >= 0");
  LT_TRY(auto model, eng::Model::Load(f.model, f.tokenizer));
  eng::ThreadPool pool(f.threads);
  eng::Session s(model, model->tokenizer().Encode(f.prompt, true, false), f.steps,
                 {f.temperature, f.top_p, f.seed});
  // Exactly run.c's output: every piece (prompt included) through safe_printf, then a newline.
  std::chrono::steady_clock::time_point start;
  bool started = false;
  eng::Session::Step st;
  while (s.Next(&pool, &st)) {
    std::string_view p = eng::Tokenizer::SafePiece(st.piece);
    std::fwrite(p.data(), 1, p.size(), stdout);
    std::fflush(stdout);
    if (!started) {
      start = std::chrono::steady_clock::now();
      started = true;
    }
  }
  std::fputs("\n", stdout);
  std::fflush(stdout);
  if (s.pos() > 1 && started) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "achieved tok/s: %f\n", secs > 0 ? (s.pos() - 1) / secs : 0.0);
  }
  return OkStatus();
}

struct ServeFlags {
  std::string model, tokenizer, listen = "127.0.0.1:8080", name;
  int threads = 0;
  int slots = 4;
};

Status Serve(const ServeFlags& f) {
  SetLogTag("engine");
  LT_TRY(auto hp, net::ParseHostPort(f.listen));
  LT_TRY(auto model, eng::Model::Load(f.model, f.tokenizer));
  if (f.slots < 1) return InvalidArgument("--slots must be at least 1");
  sigset_t set = BlockStopSignals();  // before any thread starts
  std::string name = f.name.empty() ? std::filesystem::path(f.model).stem().string() : f.name;
  eng::Engine engine(model, {f.threads, f.slots, 64});
  engine_server::OpenAiServer api(&engine, {name});
  net::HttpServerOptions ho;
  ho.max_body_bytes = 4 << 20;  // the API itself refuses bodies over 1 MiB with an OpenAI-shaped 413
  ho.write_timeout_seconds = 600;
  net::HttpServer http(ho);
  api.Register(http);
  LT_TRY(int port, http.Listen(hp.first, hp.second));
  std::thread server([&http] { http.Run(); });
  std::cout << nlohmann::json{{"model", name}, {"port", port}, {"url", "http://" + hp.first + ":" + std::to_string(port) + "/v1"}}.dump()
            << std::endl;
  LT_INFO("serving " << name << " (" << model->format() << ", " << eng::DTypeName(model->weight_type()) << ", "
                     << engine.threads() << " threads, " << f.slots << " slots) on " << hp.first << ":" << port);
  int sig = 0;
  sigwait(&set, &sig);
  LT_INFO("signal " << sig << ", stopping");
  http.Stop();
  server.join();
  return OkStatus();
}

struct ConvertFlags {
  std::string checkpoint, tokenizer, out, type = "q8_0", name;
};

Status Convert(CommandContext& ctx, const ConvertFlags& f) {
  auto parsed = eng::DTypeFromName(f.type);
  if (!parsed) return InvalidArgument("--type must be f32, f16, bf16, q4_0, q8_0, q4_k, q5_k or q6_k, not '" + f.type + "'");
  const eng::DType t = *parsed;
  LT_TRY(auto model, eng::Model::Load(f.checkpoint, f.tokenizer));
  std::string name = f.name.empty() ? std::filesystem::path(f.checkpoint).stem().string() : f.name;
  LT_TRY_STATUS(eng::WriteGguf(*model, t, f.out, name));
  std::error_code ec;
  auto size = std::filesystem::file_size(f.out, ec);
  PrintResult(ctx, {{"out", f.out}, {"type", f.type}, {"bytes", size}, {"parameters", model->ParameterCount()}},
              "wrote " + f.out + " (" + f.type + ", " + std::to_string(size) + " bytes)");
  return OkStatus();
}

Status RandomModel(CommandContext& ctx, const eng::RandomModelSpec& spec, const std::string& out) {
  LT_TRY_STATUS(eng::WriteRandomModel(spec, out));
  LT_TRY(auto model, eng::Model::Load(out));  // what we wrote must load
  std::error_code ec;
  auto size = std::filesystem::file_size(out, ec);
  const auto& c = model->config();
  PrintResult(ctx,
              {{"out", out}, {"arch", std::string(eng::ArchName(c.arch))}, {"kind", spec.kind}, {"type", spec.type},
               {"bytes", size}, {"parameters", model->ParameterCount()}, {"vocab", c.vocab_size}},
              "wrote " + out + " (" + spec.kind + ", " + spec.type + ", " + std::to_string(model->ParameterCount()) +
                  " parameters, vocabulary " + std::to_string(c.vocab_size) + ", " + std::to_string(size) + " bytes)");
  return OkStatus();
}

}  // namespace

void RegisterEngineCommands(CLI::App& app, CommandContext& ctx) {
  auto g = std::make_shared<GenerateFlags>();
  auto* gen = app.add_subcommand("generate", "Generate text with the built-in CPU engine (like llama2.c's run)");
  gen->add_option("--model", g->model, "llama2.c checkpoint (.bin) or GGUF file")->required();
  gen->add_option("--tokenizer", g->tokenizer, "Tokenizer for a .bin checkpoint (default: tok<vocab>.bin beside it)");
  gen->add_option("--prompt", g->prompt, "Start of the text");
  gen->add_option("--steps", g->steps, "Positions to run, prompt included (0: the context length)")->capture_default_str();
  gen->add_option("--temperature", g->temperature, "0 is greedy")->capture_default_str();
  gen->add_option("--top-p", g->top_p, "Nucleus sampling threshold (>= 1 or <= 0: off)")->capture_default_str();
  gen->add_option("--seed", g->seed, "Random seed (0: from the clock)")->capture_default_str();
  gen->add_option("--threads", g->threads, "Matmul threads (0: all CPUs)")->capture_default_str();
  gen->callback([&ctx, g] { RunCommand(ctx, [&] { return Generate(*g); }); });

  auto sf = std::make_shared<ServeFlags>();
  auto* engine = app.add_subcommand("engine", "The built-in CPU inference engine");
  engine->require_subcommand(1);
  auto* serve = engine->add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API");
  serve->add_option("--model", sf->model, "llama2.c checkpoint (.bin) or GGUF file")->required();
  serve->add_option("--tokenizer", sf->tokenizer, "Tokenizer for a .bin checkpoint");
  serve->add_option("--listen", sf->listen, "HOST:PORT")->capture_default_str();
  serve->add_option("--name", sf->name, "Model id in the API (default: the file name without extension)");
  serve->add_option("--threads", sf->threads, "Matmul threads (0: all CPUs)")->capture_default_str();
  serve->add_option("--slots", sf->slots, "Requests generating at once")->capture_default_str();
  serve->callback([&ctx, sf] { RunCommand(ctx, [&] { return Serve(*sf); }); });

  auto cf = std::make_shared<ConvertFlags>();
  auto* convert = ModelGroup(app)->add_subcommand("convert", "Convert a model (llama2.c checkpoint or GGUF) to GGUF");
  convert->add_option("--checkpoint", cf->checkpoint, "Source model (.bin checkpoint or .gguf)")->required();
  convert->add_option("--tokenizer", cf->tokenizer, "Tokenizer for a .bin checkpoint");
  convert->add_option("--out", cf->out, "Output .gguf file")->required();
  convert->add_option("--type", cf->type, "f32, f16, bf16, q4_0, q8_0, q4_k, q5_k or q6_k")->capture_default_str();
  convert->add_option("--name", cf->name, "general.name (default: the source file name)");
  convert->callback([&ctx, cf] { RunCommand(ctx, [&] { return Convert(ctx, *cf); }); });

  auto rf = std::make_shared<std::pair<eng::RandomModelSpec, std::string>>();
  auto* random = ModelGroup(app)->add_subcommand(
      "random", "Write a complete GGUF with random weights and a synthetic tokenizer (tests, benchmarks)");
  random->add_option("--arch", rf->first.kind, "llama, llama3, qwen2 or mistral")->capture_default_str();
  random->add_option("--type", rf->first.type, "f32 f16 bf16 q4_0 q8_0 q4_k q5_k q6_k q4_k_m q5_k_m")->capture_default_str();
  random->add_option("--dim", rf->first.dim, "Embedding size")->capture_default_str();
  random->add_option("--hidden", rf->first.hidden, "FFN size (0: the family's ratio)")->capture_default_str();
  random->add_option("--layers", rf->first.layers, "Blocks")->capture_default_str();
  random->add_option("--heads", rf->first.heads, "Attention heads")->capture_default_str();
  random->add_option("--kv-heads", rf->first.kv_heads, "KV heads (0: the family's default)")->capture_default_str();
  random->add_option("--vocab", rf->first.vocab, "Vocabulary size (0: the family's)")->capture_default_str();
  random->add_option("--context", rf->first.context, "Context length")->capture_default_str();
  random->add_option("--seed", rf->first.seed, "Seed of the weights")->capture_default_str();
  random->add_option("--name", rf->first.name, "general.name");
  random->add_option("--out", rf->second, "Output .gguf file")->required();
  random->callback([&ctx, rf] { RunCommand(ctx, [&] { return RandomModel(ctx, rf->first, rf->second); }); });

  RegisterEngineBenchCommand(app, ctx);
}

}  // namespace lt::cli
