// lt bench client: the user's view of speed (doc/client.md "Benchmark"), against a running
// `lt client serve` (for example the one `lt devnet` starts) and the same model file run by the
// engine in this process:
//   * time to first token: engine alone vs through the whole network, cold (a new session:
//     RFC, match, liveness, ticket, handshake) and warm (a reused session);
//   * requests per second: non-streamed completions with C concurrent clients through the local
//     API vs the engine alone with the same concurrency.
// Medians of the runs; ratios printed next to the figures.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "engine/engine.h"
#include "engine/model.h"
#include "net/http.h"
#include "util/json.h"

namespace lt::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct ClientBenchFlags {
  std::string api = "http://127.0.0.1:8080";
  std::string model = "demo/stories:260k";
  std::string engine_model, tokenizer;
  std::string prompt = "Once upon a time";
  int runs = 5, requests = 40, concurrency = 4, max_tokens = 16, threads = 1;
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) { return Percentile(std::move(v), 0.5); }

// One engine request; returns ms to the first token and to the end.
std::pair<double, double> EngineOnce(engine::Engine& e, const std::vector<int>& prompt, int max_tokens) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  double first = -1;
  auto t0 = Clock::now();
  engine::Request r;
  r.prompt_tokens = prompt;
  r.max_new_tokens = max_tokens;
  r.sampling.temperature = 0;
  r.on_token = [&](int, std::string_view) {
    std::lock_guard<std::mutex> l(mu);
    if (first < 0) first = Ms(Clock::now() - t0);
    return true;
  };
  r.on_done = [&](const engine::Completion&) {
    std::lock_guard<std::mutex> l(mu);
    done = true;
    cv.notify_all();
  };
  if (!e.Submit(std::move(r)).ok()) return {-1, -1};
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return done; });
  return {first, Ms(Clock::now() - t0)};
}

// One streamed completion through the API: ms to the first non-empty content delta.
Result<double> ApiTtft(const ClientBenchFlags& f, const json& extra) {
  LT_TRY(auto c, net::HttpClient::Create(f.api));
  json body = {{"model", f.model},
               {"messages", {{{"role", "user"}, {"content", f.prompt}}}},
               {"max_tokens", f.max_tokens},
               {"temperature", 0},
               {"stream", true}};
  if (extra.is_object()) body.update(extra);
  std::string buf;
  double first = -1;
  auto t0 = Clock::now();
  LT_TRY(auto r, c.PostStream("/v1/chat/completions", body.dump(), [&](std::string_view d) {
    buf.append(d);
    size_t p;
    while (first < 0 && (p = buf.find("\n\n")) != std::string::npos) {
      std::string ev = buf.substr(0, p);
      buf.erase(0, p + 2);
      if (ev.rfind("data: {", 0) != 0) continue;
      json j = ParseJson(ev.substr(6));
      if (j.is_object() && j.contains("choices") && !j["choices"].empty() &&
          !j["choices"][0]["delta"].value("content", "").empty()) {
        first = Ms(Clock::now() - t0);
      }
    }
    return true;
  }));
  if (r.status != 200)
    return MakeError(ErrorCode::kUnavailable, "API answered " + std::to_string(r.status) + ": " + r.body);
  if (first < 0) return MakeError(ErrorCode::kUnavailable, "no token streamed");
  return first;
}

Status Run(CommandContext& ctx, const ClientBenchFlags& f) {
  if (f.engine_model.empty())
    return InvalidArgument("--engine-model is required (the model file the providers serve)");
  LT_TRY(auto model, engine::Model::Load(f.engine_model, f.tokenizer));
  engine::EngineOptions eo;
  eo.threads = f.threads;
  eo.slots = std::max(1, f.concurrency);
  engine::Engine eng(model, eo);
  auto prompt = model->tokenizer().Encode(f.prompt, true, false);
  (void)EngineOnce(eng, prompt, f.max_tokens);  // warm up
  std::vector<double> engine_ttft;
  for (int i = 0; i < f.runs; ++i) engine_ttft.push_back(EngineOnce(eng, prompt, f.max_tokens).first);

  // Cold: a distinct lt_want_seconds makes a new session (own RFC, ticket and handshake).
  std::vector<double> cold, warm;
  uint32_t want = 300 + static_cast<uint32_t>(Clock::now().time_since_epoch().count() % 1000);
  for (int i = 0; i < f.runs; ++i) {
    LT_TRY(double ms, ApiTtft(f, {{"lt_want_seconds", want + i}}));
    cold.push_back(ms);
  }
  (void)ApiTtft(f, json::object());
  for (int i = 0; i < f.runs; ++i) {
    LT_TRY(double ms, ApiTtft(f, json::object()));
    warm.push_back(ms);
  }

  // Throughput: the same non-streamed workload through the API and through the engine.
  auto throughput = [&](const std::function<bool()>& one) {
    std::atomic<int> next{0}, failed{0};
    auto t0 = Clock::now();
    std::vector<std::thread> ts;
    for (int c = 0; c < f.concurrency; ++c) {
      ts.emplace_back([&] {
        while (next.fetch_add(1) < f.requests) {
          if (!one()) ++failed;
        }
      });
    }
    for (auto& t : ts) t.join();
    double s = Ms(Clock::now() - t0) / 1000;
    return std::make_pair(s > 0 ? (f.requests - failed.load()) / s : 0.0, failed.load());
  };
  json body = {{"model", f.model},
               {"messages", {{{"role", "user"}, {"content", f.prompt}}}},
               {"max_tokens", f.max_tokens},
               {"temperature", 0}};
  std::string body_s = body.dump();
  auto [api_rps, api_failed] = throughput([&] {
    auto c = net::HttpClient::Create(f.api);
    if (!c.ok()) return false;
    auto r = c->Post("/v1/chat/completions", body_s);
    return r.ok() && r->status == 200;
  });
  auto [eng_rps, eng_failed] = throughput([&] { return EngineOnce(eng, prompt, f.max_tokens).first >= 0; });

  double e = Median(engine_ttft), c = Median(cold), w = Median(warm);
  json j = {{"ttft_ms", {{"engine", e}, {"network_cold", c}, {"network_warm", w}}},
            {"rps", {{"api", api_rps}, {"engine", eng_rps}, {"api_failed", api_failed}}},
            {"requests", f.requests},
            {"concurrency", f.concurrency},
            {"max_tokens", f.max_tokens}};
  char line[640];
  std::snprintf(
      line, sizeof line,
      "time to first token (median of %d): engine alone %.2f ms; through the network %.1f ms cold "
      "(new session, %.0fx) and %.2f ms warm (reused session, %.1fx)\n"
      "requests/s (%d non-streamed requests of %d tokens, %d concurrent): local API %.1f, engine alone "
      "%.1f (%.0f%%)%s",
      f.runs, e, c, e > 0 ? c / e : 0, w, e > 0 ? w / e : 0, f.requests, f.max_tokens, f.concurrency, api_rps,
      eng_rps, eng_rps > 0 ? 100 * api_rps / eng_rps : 0,
      api_failed > 0 ? (", " + std::to_string(api_failed) + " API requests failed").c_str() : "");
  PrintResult(ctx, j, line);
  return OkStatus();
}

}  // namespace

void RegisterClientBenchCommand(CLI::App& app, CommandContext& ctx) {
  static ClientBenchFlags f;
  auto* cmd = BenchGroup(app)->add_subcommand(
      "client", "Time to first token and requests/s through a running `lt client serve` vs the engine alone");
  cmd->add_option("--api", f.api, "Base URL of the local API (without /v1)")->capture_default_str();
  cmd->add_option("--model", f.model, "Model name on the network")->capture_default_str();
  cmd->add_option("--engine-model", f.engine_model,
                  "The same model's file, run by the engine in this process")
      ->required();
  cmd->add_option("--tokenizer", f.tokenizer, "Its tokenizer file (llama2.c models)");
  cmd->add_option("--runs", f.runs, "Time-to-first-token samples of each kind")->capture_default_str();
  cmd->add_option("--requests", f.requests, "Requests of the throughput runs")->capture_default_str();
  cmd->add_option("--concurrency", f.concurrency, "Concurrent clients")->capture_default_str();
  cmd->add_option("--max-tokens", f.max_tokens, "Tokens per request")->capture_default_str();
  cmd->add_option("--threads", f.threads, "Engine threads of the in-process engine")->capture_default_str();
  cmd->callback([&ctx] { RunCommand(ctx, [&] { return Run(ctx, f); }); });
}

}  // namespace lt::cli
