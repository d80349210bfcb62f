// lt bench engine: llama-bench style figures (pp512, tg128) of the built-in engine and of
// llama.cpp (node-llama-cpp, when installed) on the same GGUF files in the same run, with the
// ratio, and the resident memory against the file size. Models: the shipped stories260K
// (converted to an F32 GGUF) and synthetic 110M- and 1B-shaped models in Q8_0, Q4_K and the
// Q4_K_M/Q5_K_M mixes, written by lt model random into a temporary directory and removed
// afterwards. doc/engine.md has the figures measured so far.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/llama_peer.h"
#include "engine/bench.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/random_model.h"
#include "engine/thread_pool.h"

namespace lt::cli {

namespace {

namespace eng = lt::engine;

struct BenchFlags {
  std::string threads = "1,2";
  int pp = 512;
  int tg = 128;
  int reps = 3;
  bool skip_large = false;  // no 1B-shaped models
  bool skip_llama = false;  // our figures only
  std::string only;         // run only models whose "label type" contains this
};

struct BenchModel {
  std::string label, type, path;
  eng::RandomModelSpec spec;  // unused for the shipped model
  bool random = true;
};

std::vector<int> ParseThreads(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) {
    int t = std::atoi(part.c_str());
    if (t > 0) out.push_back(t);
  }
  return out;
}

std::string Mib(double bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f MiB", bytes / (1 << 20));
  return b;
}

Status Bench(CommandContext& ctx, const BenchFlags& f) {
  std::vector<int> threads = ParseThreads(f.threads);
  if (threads.empty()) return InvalidArgument("--threads must list thread counts, e.g. 1,2");
  if (f.pp < 1 || f.tg < 1 || f.reps < 1) return InvalidArgument("--pp, --tg and --reps must be positive");
  std::string peer_dir;
  std::string peer_note = "not run (--skip-llama)";
  if (!f.skip_llama) {
    auto d = LlamaPeerDir();
    if (d.ok()) {
      peer_dir = *d;
      peer_note = "node-llama-cpp 3.21.1 (prebuilt CPU binary)";
    } else {
      peer_note = "not available: " + d.error().message;
    }
  }
  std::printf("lt bench engine: kernels %s, %d CPUs; llama.cpp: %s\n", std::string(eng::IsaName(eng::ActiveIsa())).c_str(),
              eng::ThreadPool::DefaultThreads(), peer_note.c_str());
  std::printf("each figure is the median of %d runs, the engines alternating run by run; ratio = lt / llama.cpp;\n"
              "t/cpu-s = tokens per CPU-second of the whole process (all threads, spinning included), which a\n"
              "loaded machine depresses less than t/s\n\n", f.reps);
  std::printf("| model | type | size | threads | test | lt t/s | llama.cpp t/s | ratio | lt t/cpu-s | llama.cpp t/cpu-s | cpu ratio |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);

  auto dir = std::filesystem::temp_directory_path() / ("lt-bench-engine-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::vector<BenchModel> models;
  std::string shipped = std::string(LT_MODELS_DIR) + "/stories260K.bin";
  if (std::filesystem::exists(shipped)) models.push_back({"stories260K", "f32", shipped, {}, false});
  auto add = [&](const std::string& label, const std::string& kind, const std::string& type, int dim, int hidden,
                 int layers, int heads, int kv, int vocab) {
    eng::RandomModelSpec s;
    s.kind = kind;
    s.type = type;
    s.dim = dim;
    s.hidden = hidden;
    s.layers = layers;
    s.heads = heads;
    s.kv_heads = kv;
    s.vocab = vocab;
    s.context = 2048;
    models.push_back({label, type, (dir / (label + "-" + type + ".gguf")).string(), s, true});
  };
  // q4_k_m and q5_k_m mix types as llama.cpp's quantizer does (Q6_K classifier and half of
  // attn_v/ffn_down; Q5_K and Q6_K in q5_k_m): the files people run most.
  for (const char* t : {"q8_0", "q4_k", "q4_k_m", "q5_k_m"}) {
    add("110M (llama, 768x12)", "llama", t, 768, 2048, 12, 12, 12, 32000);
  }
  if (!f.skip_large) {
    for (const char* t : {"q8_0", "q4_k", "q4_k_m"}) add("1B (llama3, 2048x16)", "llama3", t, 2048, 8192, 16, 32, 8, 128256);
  }

  nlohmann::json out = nlohmann::json::array();
  Status status = OkStatus();
  for (auto& bm : models) {
    if (!f.only.empty() && (bm.label + " " + bm.type).find(f.only) == std::string::npos) continue;
    int pp = f.pp, tg = f.tg;
    std::string path = bm.path;
    if (!bm.random) {  // the shipped checkpoint, as an F32 GGUF both engines load
      auto m = eng::Model::Load(bm.path, "");
      if (!m.ok()) {
        status = m.error();
        break;
      }
      path = (dir / "stories260K-f32.gguf").string();
      status = eng::WriteGguf(**m, eng::DType::kF32, path, "stories260K");
      pp = std::min(pp, (*m)->config().seq_len - tg - 16);
    } else {
      status = eng::WriteRandomModel(bm.spec, path);
    }
    if (!status.ok()) break;
    std::error_code ec;
    const double file_bytes = static_cast<double>(std::filesystem::file_size(path, ec));
    auto model = eng::Model::Load(path);
    if (!model.ok()) {
      status = model.error();
      break;
    }
    const int vocab = (*model)->config().vocab_size;
    // Rounds alternate between the engines (llama.cpp, then lt, per round), so a machine whose
    // load changes during the run penalises both alike.
    double peer_rss = 0;
    for (size_t i = 0; i < threads.size(); ++i) {
      std::vector<double> ours_pp, ours_tg, theirs_pp, theirs_tg, ours_ppc, ours_tgc, theirs_ppc, theirs_tgc;
      for (int r = 0; r < f.reps; ++r) {
        if (!peer_dir.empty()) {
          nlohmann::json job = {{"op", "bench"}, {"model", path}, {"threads", threads[i]}, {"pp", pp},
                                {"tg", tg}, {"reps", 1}, {"vocab", vocab}};
          auto res = RunLlamaPeer(peer_dir, nlohmann::json::array({job}));
          if (res.ok() && res->is_array() && !res->empty()) {
            const auto& x = (*res)[0];
            for (double v : x["pp"].get<std::vector<double>>()) theirs_pp.push_back(v);
            for (double v : x["tg"].get<std::vector<double>>()) theirs_tg.push_back(v);
            for (double v : x.value("pp_cpu", std::vector<double>{})) theirs_ppc.push_back(v);
            for (double v : x.value("tg_cpu", std::vector<double>{})) theirs_tgc.push_back(v);
            peer_rss = std::max(peer_rss, x.value("rss", 0.0));
          } else if (!res.ok()) {
            std::printf("(llama.cpp failed on %s: %s)\n", path.c_str(), res.error().message.c_str());
          }
        }
        eng::LlamaBenchFigures fig = eng::MeasureLlamaBench(*model, threads[i], pp, tg, 1);
        ours_pp.insert(ours_pp.end(), fig.pp.begin(), fig.pp.end());
        ours_tg.insert(ours_tg.end(), fig.tg.begin(), fig.tg.end());
        ours_ppc.insert(ours_ppc.end(), fig.pp_cpu.begin(), fig.pp_cpu.end());
        ours_tgc.insert(ours_tgc.end(), fig.tg_cpu.begin(), fig.tg_cpu.end());
      }
      for (int k = 0; k < 2; ++k) {
        const double ours = eng::Median(k == 0 ? ours_pp : ours_tg);
        const double theirs = eng::Median(k == 0 ? theirs_pp : theirs_tg);
        std::string test = (k == 0 ? "pp" : "tg") + std::to_string(k == 0 ? pp : tg);
        char theirs_s[32] = "-", ratio_s[32] = "-";
        if (theirs > 0) {
          std::snprintf(theirs_s, sizeof theirs_s, "%.1f", theirs);
          std::snprintf(ratio_s, sizeof ratio_s, "%.2fx", ours / theirs);
        }
        const double ours_c = eng::Median(k == 0 ? ours_ppc : ours_tgc);
        const double theirs_c = eng::Median(k == 0 ? theirs_ppc : theirs_tgc);
        char theirs_cs[32] = "-", ratio_cs[32] = "-";
        if (theirs_c > 0) {
          std::snprintf(theirs_cs, sizeof theirs_cs, "%.1f", theirs_c);
          std::snprintf(ratio_cs, sizeof ratio_cs, "%.2fx", ours_c / theirs_c);
        }
        std::printf("| %s | %s | %s | %d | %s | %.1f | %s | %s | %.1f | %s | %s |\n", bm.label.c_str(), bm.type.c_str(),
                    Mib(file_bytes).c_str(), threads[i], test.c_str(), ours, theirs_s, ratio_s, ours_c, theirs_cs, ratio_cs);
        std::fflush(stdout);
        out.push_back({{"model", bm.label}, {"type", bm.type}, {"file_bytes", file_bytes}, {"threads", threads[i]},
                       {"test", test}, {"lt_tokens_per_second", ours},
                       {"llama_cpp_tokens_per_second", theirs > 0 ? nlohmann::json(theirs) : nlohmann::json(nullptr)},
                       {"lt_runs", k == 0 ? ours_pp : ours_tg}, {"llama_cpp_runs", k == 0 ? theirs_pp : theirs_tg},
                       {"lt_tokens_per_cpu_second", ours_c},
                       {"llama_cpp_tokens_per_cpu_second", theirs_c > 0 ? nlohmann::json(theirs_c) : nlohmann::json(nullptr)}});
      }
    }
    const double rss = static_cast<double>(eng::ResidentBytes());
    std::printf("|   memory: lt resident %s%s, file %s | | | | | | | | | | |\n", Mib(rss).c_str(),
                peer_rss > 0 ? (", llama.cpp (node) resident " + Mib(peer_rss)).c_str() : "", Mib(file_bytes).c_str());
    out.push_back({{"model", bm.label}, {"type", bm.type}, {"file_bytes", file_bytes}, {"lt_resident_bytes", rss},
                   {"llama_cpp_resident_bytes", peer_rss}});
    model->reset();
    std::filesystem::remove(path, ec);
  }
  std::filesystem::remove_all(dir);
  LT_TRY_STATUS(status);
  if (ctx.global.json) std::cout << nlohmann::json{{"isa", std::string(eng::IsaName(eng::ActiveIsa()))}, {"rows", out}}.dump(2) << std::endl;
  return OkStatus();
}

}  // namespace

void RegisterEngineBenchCommand(CLI::App& app, CommandContext& ctx) {
  auto bf = std::make_shared<BenchFlags>();
  auto* bench = BenchGroup(app)->add_subcommand(
      "engine", "pp512/tg128 of the built-in engine and of llama.cpp on the same models, with the ratio");
  bench->add_option("--threads", bf->threads, "Thread counts to measure, comma-separated")->capture_default_str();
  bench->add_option("--pp", bf->pp, "Prompt tokens of the prefill test")->capture_default_str();
  bench->add_option("--tg", bf->tg, "Tokens of the generation test")->capture_default_str();
  bench->add_option("--reps", bf->reps, "Runs per figure (the median is printed)")->capture_default_str();
  bench->add_flag("--skip-large", bf->skip_large, "No 1B-shaped models (each is about 1 GB)");
  bench->add_flag("--skip-llama", bf->skip_llama, "Do not run llama.cpp");
  bench->add_option("--only", bf->only, "Only the models whose label and type ('1B (llama3, 2048x16) q4_k') contain this text");
  bench->callback([&ctx, bf] { RunCommand(ctx, [&] { return Bench(ctx, *bf); }); });
}

}  // namespace lt::cli
